"""Shared fixtures: isolated media, personas, and the sandbox provider over real HTTP."""

from __future__ import annotations

import io

import django.test.testcases
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from PIL import Image

from studio.accounts.models import User
from studio.generations.models import Project
from studio.lib.devserver import QuietUnderscoreHeadersRequestHandler
from studio.workspaces.models import Membership, Role, Workspace, personal_workspace_for
from tests.sandbox.quiet import quiet_sandbox

PASSWORD = "a-Strong-pass-123"

# The live server must pass Chanjing's `access_token` header through, as `make run` does.
django.test.testcases.QuietWSGIRequestHandler = QuietUnderscoreHeadersRequestHandler


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SANDBOX_MEDIA_ROOT = tmp_path / "sandbox"
    # Tests create many users; a real password hash costs ~0.3 s each on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _english_by_default():
    """LocaleMiddleware leaves the last request's language active in the thread; reset it."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _no_lingering_connections(django_db_setup, django_db_blocker):
    """End connections that live-server threads or killed pollers left on the test database,
    so PostgreSQL can drop it at the end of the session."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def sandbox(live_server, settings):
    """The sandbox provider on a live server, fast and tiny: the client talks to it over HTTP."""
    quiet_sandbox(settings, seed=0)
    settings.CHANJING_BASE_URL = f"{live_server.url}/sandbox"
    # The sandbox's videos are on this machine: the test's own, explicit download allowance.
    settings.CHANJING_DOWNLOAD_LOCAL_ORIGINS = [live_server.url]
    settings.SANDBOX_QUEUED_SECONDS = 0
    settings.SANDBOX_READY_SECONDS = 0
    settings.SANDBOX_GENERATING_SECONDS = 0
    settings.CHANJING_RATE_LIMIT = 0
    return settings.CHANJING_BASE_URL


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob")


@pytest.fixture
def alice_project(alice) -> Project:
    return Project.objects.create(workspace=personal_workspace_for(alice), name="Spring ad", created_by=alice)


@pytest.fixture
def team(db):
    """A team workspace with one person per role, and an outsider with a workspace of their own."""
    people = {name: make_user(name) for name in ("owner", "admin", "editor", "viewer", "outsider")}
    workspace = Workspace.objects.create(name="Team", created_by=people["owner"])
    for role in (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER):
        Membership.objects.create(workspace=workspace, user=people[role.value], role=role)
    project = Project.objects.create(workspace=workspace, name="Team project", created_by=people["owner"])
    return {"workspace": workspace, "project": project, **people}


def image_file(name: str = "frame.png", size=(360, 640), color=(200, 60, 90), fmt: str = "PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


# --- Personas for teams and sharing -------------------------------------------------------

PERSONAS = ("owner", "admin", "editor", "viewer", "outsider", "anonymous")


def finished_generation(workspace, project, user, prompt: str = "a lantern drifts over the lake"):
    """A succeeded generation with a (tiny, fake) video, poster and start frame on disk."""
    from django.core.files.base import ContentFile

    from studio.generations.models import Generation, Status

    generation = Generation(
        workspace=workspace,
        project=project,
        created_by=user,
        prompt=prompt,
        model_code="Doubao-Seedance-1.0-lite-i2v",
        status=Status.SUCCEEDED,
    )
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    generation.video.save("v.mp4", ContentFile(video), save=False)
    generation.poster.save("p.jpg", ContentFile(b"\xff\xd8\xff poster"), save=False)
    generation.start_frame.save("s.png", ContentFile(b"\x89PNG frame"), save=False)
    generation.save()
    return generation


@pytest.fixture
def team_generation(team):
    """A finished video in the team workspace, made by the editor."""
    return finished_generation(team["workspace"], team["project"], team["editor"])


@pytest.fixture
def sign_in_as(client, team):
    """Sign the test client in as a persona; team members are switched into the team workspace."""
    from studio.workspaces.access import SESSION_KEY

    def sign_in(persona: str, on=None):
        on = on or client
        if persona == "anonymous":
            on.logout()
            return on
        on.force_login(team[persona])
        if persona != "outsider":
            session = on.session
            session[SESSION_KEY] = str(team["workspace"].code)
            session.save()
        return on

    return sign_in
