"""With Chanjing credentials the sandbox app is not installed, and the studio still works.

Run in a separate process: INSTALLED_APPS and the URLconf are fixed when Django starts, so
only a fresh process shows what a deployment without the sandbox really gets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment

from studio.accounts.models import User
from studio.generations.models import Project
from studio.workspaces.models import personal_workspace_for

setup_test_environment()
assert not apps.is_installed("studio.sandbox"), settings.INSTALLED_APPS
assert not settings.SANDBOX_MODE
user = User.objects.create_user("nosandbox", "n@example.com", "x-Strong-pass-1")
project = Project.objects.create(workspace=personal_workspace_for(user), name="Live", created_by=user)
client = Client()
client.force_login(user)
for url in ("/projects/", f"/projects/{project.code}/", "/gallery/", "/gallery/team/"):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert b"sandbox-banner" not in response.content, url
assert client.get("/sandbox/").status_code == 404
print("studio works without the sandbox")
"""


def test_the_studio_runs_without_the_sandbox_app(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "STUDIO_ENV": "development",
        "CHANJING_APP_ID": "live-app",
        "CHANJING_SECRET_KEY": "live-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DEBUG", None)

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=110,
        )

    for args in (("check", "--fail-level", "WARNING"), ("migrate", "--noinput"), ("shell", "-c", SCRIPT)):
        result = manage(*args)
        assert result.returncode == 0, f"manage.py {' '.join(args[:1])}:\n{result.stdout}\n{result.stderr}"
    assert "studio works without the sandbox" in result.stdout


def test_production_refuses_the_sandbox(tmp_path):
    env = {
        **os.environ,
        "STUDIO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "studio.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for name in ("CHANJING_APP_ID", "CHANJING_SECRET_KEY", "DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "The sandbox provider cannot run in production" in result.stderr


def test_production_requires_allowed_hosts(tmp_path):
    env = {
        **os.environ,
        "STUDIO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "CHANJING_APP_ID": "app",
        "CHANJING_SECRET_KEY": "secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for name in ("ALLOWED_HOSTS", "DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required when STUDIO_ENV=production" in result.stderr
