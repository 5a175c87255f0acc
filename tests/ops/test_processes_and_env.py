"""Process names, env files and the production entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from studio.lib import processes

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_with_the_same_host_and_pid_get_different_names(monkeypatch):
    """Poller containers with host networking share the host name, and each is PID 1."""
    monkeypatch.setattr(processes.socket, "gethostname", lambda: "docker-host")
    monkeypatch.setattr(processes.os, "getpid", lambda: 1)
    monkeypatch.setattr(processes, "_names", {})
    first = processes.process_name()
    assert processes.process_name() == first  # stable within a process
    monkeypatch.setattr(processes, "_names", {})  # another container
    second = processes.process_name()
    assert first != second
    assert first.startswith("docker-host:1:")


def _env_file(path: Path) -> dict[str, str]:
    """Read an env file the way `docker run --env-file` does: KEY=VALUE lines, # comments."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.STUDIO_ENV, s.DEBUG, s.MEDIA_ROOT, s.SECURE_SSL_REDIRECT, s.SANDBOX_MODE, "
    "s.DATABASES['default']['ENGINE'], s.SECURE_REDIRECT_EXEMPT)"
)


def test_the_env_example_keeps_the_image_in_production_with_its_media_root(tmp_path):
    image = {"STUDIO_ENV": "production", "MEDIA_ROOT": "/data/media"}  # the Dockerfile's ENV
    example = _env_file(ROOT / ".env.example")
    # An operator fills in what production requires, and leaves everything else as it is.
    required = {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "studio.example.com",
        "DATABASE_URL": "postgres://studio@db.example.com:5432/studio",
        "CHANJING_APP_ID": "app",
        "CHANJING_SECRET_KEY": "secret",
    }
    for name in required:
        assert name in example, f".env.example must list {name}"
    env = {"PATH": os.environ["PATH"], **image, **example, **required}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_SETTINGS}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "studio.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "production",
        "False",
        "/data/media",
        "True",
        "False",
        "django.db.backends.postgresql",
        "['^healthz$']",  # a plain-HTTP probe is not redirected
    ]


def test_blank_lines_fall_back_to_defaults_rather_than_off(monkeypatch):
    from studio.env import env_bool, env_choice, env_list

    for name in ("X_BOOL", "X_LIST", "X_CHOICE"):
        monkeypatch.setenv(name, "")
    assert env_bool("X_BOOL", True) is True
    assert env_list("X_LIST", ["a"]) == ["a"]
    assert env_choice("X_CHOICE", "development", {"development", "production"}) == "development"
    monkeypatch.setenv("X_BOOL", "0")
    assert env_bool("X_BOOL", True) is False


def test_serve_refuses_the_development_settings():
    with pytest.raises(CommandError, match="STUDIO_ENV=production"):
        call_command("serve")


def test_gunicorn_runs_threaded_workers_on_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    config: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)
    assert config["bind"] == "0.0.0.0:8123"
    assert config["worker_class"] == "gthread" and config["threads"] >= 16
    assert config["worker_connections"] == config["threads"]


def test_the_env_example_lists_every_variable_the_settings_read():
    import re

    read = set()
    for source in (ROOT / "studio" / "settings.py", ROOT / "studio" / "env.py", ROOT / "gunicorn.conf.py"):
        read |= set(re.findall(r'(?:env_\w+|_int|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', source.read_text()))
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()
