"""Every page of the studio at 390 px: no sideways scroll, no console error, no CSP violation, in
English and Chinese. With STUDIO_SCREENSHOTS=1 (`make screenshots`) the same walk saves every page
at both sizes, in both themes and both languages, under test-artifacts/pages/.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from studio.generations import problems
from studio.generations.models import Generation, Project, SavedPrompt, Status
from studio.sequences.models import ExportShareLink
from studio.sharing.models import ShareLink
from studio.workspaces.models import Invitation, Membership, Role
from tests.browser.conftest import ConsoleWatch
from tests.browser.pages import DESKTOP, PHONE
from tests.factories import PASSWORD, finished_generation, finished_videos, make_export, make_sequence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
ALL_SHOTS = os.environ.get("STUDIO_SCREENSHOTS") == "1"


def studio_world(team) -> dict[str, Any]:
    """A workspace with something on every page: takes, failures, a pending video, the Trash."""
    workspace, project, owner, editor = team["workspace"], team["project"], team["owner"], team["editor"]
    owner.is_staff = owner.is_superuser = True
    owner.save()
    Membership.objects.filter(user=owner, workspace=workspace).update(last_used_at=timezone.now())
    Membership.objects.filter(user=team["viewer"], workspace=workspace).update(last_used_at=timezone.now())
    project.description = "春节广告 · 30 s spring festival spot"
    project.save()
    Project.objects.create(workspace=workspace, name="Product teaser", created_by=owner)
    wide = finished_videos(project, editor, ["港口日出 sunrise over the harbour"], aspect_ratio="16:9")[0]
    finished_videos(project, owner, ["a paper crane unfolds", "竹林里的雾 mist in the bamboo"], minutes_ago=5)
    finished_videos(project, editor, ["a teapot, top view"], aspect_ratio="1:1", minutes_ago=9)
    group = uuid.uuid4()
    for index, take in enumerate(
        finished_videos(project, editor, ["灯笼缓缓升起 lanterns rise"] * 3, minutes_ago=1), start=1
    ):
        Generation.objects.filter(pk=take.pk).update(take_group=group, take_index=index)
    failed = {
        "内容审核未通过,请修改提示词或参考图后重试": "a prompt the content check refused",
        "生成失败,未扣费,请稍后重试": "a video the provider could not make",
    }
    for raw, prompt in failed.items():
        Generation.objects.create(
            workspace=workspace,
            project=project,
            created_by=editor,
            prompt=prompt,
            model_code="Doubao-Seedance-1.0-lite-i2v",
            status=Status.FAILED,
            error_kind=problems.TASK_FAILED,
            error_raw=raw,
            error_message=problems.in_english(problems.TASK_FAILED, raw=raw),
            finished_at=timezone.now(),
        )
    Generation.objects.create(
        workspace=workspace,
        project=project,
        created_by=editor,
        prompt="still rendering: waves at night",
        model_code="Doubao-Seedance-1.0-lite-i2v",
        status=Status.SUBMITTED,
        provider_status="Generating",
        submitted_at=timezone.now(),
        next_attempt_at=timezone.now() + timedelta(days=1),
    )
    trashed = finished_generation(workspace, project, editor, prompt="an outtake")
    Generation.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    Project.objects.create(workspace=workspace, name="Old pitch", created_by=owner, deleted_at=timezone.now())
    SavedPrompt.objects.create(
        project=project, name="Opening", text="清晨的茶园,镜头缓慢推进", created_by=owner
    )
    invitation = Invitation.objects.create(workspace=workspace, role=Role.EDITOR, created_by=owner)
    share = ShareLink.objects.create(generation=wide, created_by=owner)
    revoked = ShareLink.objects.create(generation=wide, created_by=owner, revoked_at=timezone.now())
    takes = list(Generation.objects.filter(take_group=group).order_by("take_index"))
    sequence = make_sequence(project, [wide, takes[0]], name="春节 teaser", created_by=owner)
    export = make_export(sequence)
    export_share = ExportShareLink.objects.create(export=export, created_by=owner)
    return {
        "wide": wide,
        "share": share,
        "revoked": revoked,
        "invitation": invitation,
        "sequence": sequence,
        "export_share": export_share,
    }


def pages(team, world) -> dict[str, list[tuple[str, str]]]:
    """Who sees which page: persona → (name, url)."""
    project = team["project"]
    saved = SavedPrompt.objects.get()
    return {
        "anonymous": [
            ("sign-in", "/accounts/login/"),
            ("sign-up", "/accounts/signup/"),
            ("share", f"/s/{world['share'].token}/"),
            ("share-revoked", f"/s/{world['revoked'].token}/"),
            ("invitation", f"/workspaces/join/{world['invitation'].token}/"),
            ("export-share", f"/s/x/{world['export_share'].token}/"),
        ],
        "owner": [
            ("projects", "/projects/"),
            ("project", f"/projects/{project.code}/"),
            ("video", f"/g/{world['wide'].code}/"),
            ("gallery", "/gallery/team/"),
            ("my-generations", "/gallery/?status=all"),
            ("trash", "/trash/"),
            ("prompt-library", f"/projects/{project.code}/prompts/"),
            ("prompt-edit", f"/prompts/{saved.code}/edit"),
            ("remix-pick", f"/g/{world['wide'].code}/remix?pick=1"),
            ("sequences", f"/projects/{project.code}/sequences/"),
            ("sequence", f"/sequences/{world['sequence'].code}/"),
            ("add-to-sequence", f"/g/{world['wide'].code}/add-to-sequence"),
            ("members", f"/workspaces/{team['workspace'].code}/"),
            ("new-team", "/workspaces/new"),
            ("not-found", "/g/00000000-0000-0000-0000-000000000000/"),
            ("admin", "/admin/"),
            ("usage-review", "/admin/usage/review/"),
            ("system-status", "/admin/status/"),
        ],
        "viewer": [
            ("viewer-projects", "/projects/"),
            ("viewer-project", f"/projects/{project.code}/"),
            ("viewer-sequence", f"/sequences/{world['sequence'].code}/"),
        ],
    }


def sign_in_context(browser, live_server, persona: str, *, theme: str, language: str):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US")
    context.add_cookies(
        [
            {"name": "theme", "value": theme, "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    if persona != "anonymous":
        page = context.new_page()
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(persona)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form:has(#id_username) button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.close()
    return context


def test_every_page_fits_a_phone_in_both_languages(browser, live_server, team):
    world = studio_world(team)
    problems_seen, too_wide = [], []
    combos = (
        [(t, lang) for t in ("dark", "light") for lang in ("en", "zh-hans")]
        if ALL_SHOTS
        else [
            ("dark", "en"),
            ("light", "zh-hans"),
        ]
    )
    for persona, named in pages(team, world).items():
        for theme, language in combos:
            context = sign_in_context(browser, live_server, persona, theme=theme, language=language)
            try:
                page = context.new_page()
                watch = ConsoleWatch(page)
                for name, url in named:
                    page.set_viewport_size(PHONE)
                    page.goto(url)
                    page.wait_for_load_state("load")
                    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
                        too_wide.append(
                            f"{name} ({language}, {page.evaluate('document.documentElement.scrollWidth')}px)"
                        )
                    if ALL_SHOTS:
                        PAGES_DIR.mkdir(parents=True, exist_ok=True)
                        stem = f"{name}-{theme}-{language}"
                        page.screenshot(path=str(PAGES_DIR / f"{stem}-phone.png"), full_page=True)
                        page.set_viewport_size(DESKTOP)
                        page.screenshot(path=str(PAGES_DIR / f"{stem}-desktop.png"), full_page=True)
                # A missing page answers 404, and an ended share link 410, with the branded page: those
                # console lines are expected.
                problems_seen += [p for p in watch.problems if "404" not in p and "410 (Gone)" not in p]
            finally:
                context.close()
    assert too_wide == []
    assert problems_seen == []
