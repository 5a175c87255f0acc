"""A person's day in the studio, in a real browser: sign up, generate from a start frame, watch it
finish without reloading, play it, find it in the gallery, switch to Chinese.

Starring, remix and gallery filters come with the gallery work; their steps join this scenario then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from studio.generations.models import Generation, Status
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(tmp_path: Path, name: str, size: tuple[int, int], color=(210, 70, 60)) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


def sign_up(page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/projects/$"))


def create_project(page, name: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/[0-9a-f-]{36}/$"))


def poll_once() -> None:
    """One pass of the poller, in this process, with every waiting generation due now."""
    Generation.objects.exclude(status__in=[Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]).update(
        next_attempt_at=timezone.now()
    )
    call_command("poll_generations", "--once")


def test_generate_from_a_start_frame_watch_it_finish_play_it_and_switch_to_chinese(
    page, sandbox, tmp_path, screenshot
):
    sign_up(page, "mei")
    screenshot(page, "01-projects-empty-desktop")
    create_project(page, "Lantern festival")

    prompt = "🏮 灯笼缓缓升起 lanterns rise over the river"
    page.locator("#id_prompt").fill(prompt)
    # Counted as the server counts (code points): the lantern emoji is one character, not two.
    count = page.locator("[data-char-count-for=id_prompt]").inner_text()
    assert count == f"{len(prompt)} / 2000 characters" == "37 / 2000 characters"
    page.locator("#id_aspect_ratio").select_option("9:16")
    page.locator("#id_start_frame").set_input_files(png(tmp_path, "start.png", (360, 640)))
    preview = page.locator("#field-start_frame .frame-preview img")
    preview.wait_for()
    assert preview.get_attribute("alt") == "Preview of the start frame"
    assert (
        page.evaluate("document.querySelector('#field-start_frame .frame-preview img').naturalWidth") == 360
    )
    assert page.locator("#field-start_frame .client-error, #field-start_frame .client-warning").count() == 0
    screenshot(page, "02-form-with-start-frame-desktop")

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Generate video").click()
    card = page.locator("#generation-list .gen-card").first
    card.wait_for()
    status = card.locator(".gen-status [data-status]").first
    assert status.inner_text() == "Waiting to send"
    generation = Generation.objects.get()
    assert generation.start_frame and generation.aspect_ratio == "9:16"
    # The form was replaced by a fresh one: empty prompt, a new submit token.
    assert page.locator("#id_prompt").input_value() == ""
    screenshot(page, "03-card-waiting-desktop")

    # The poller sends it; the card, polling by itself, changes without a reload.
    poll_once()
    page.wait_for_function(
        "code => { const b = document.querySelector(`#gen-${code} .gen-status [data-status]`);"
        " return b && b.textContent.trim() !== 'Waiting to send'; }",
        arg=str(generation.code),
    )
    for _ in range(6):
        generation.refresh_from_db()
        if generation.status == Status.SUCCEEDED:
            break
        poll_once()
    assert generation.status == Status.SUCCEEDED, generation.error_message
    card = page.locator(f"#gen-{generation.code}")
    card.locator("video").wait_for(timeout=15_000)
    assert card.locator(".gen-status [data-status]").inner_text() == "Done"
    assert page.evaluate("window.stillTheSamePage") is True  # no navigation happened

    # It plays: data for the current frame, and time moves once playing (muted, as autoplay allows).
    video = f"#gen-{generation.code} video"
    # Functions, not expressions: the page's CSP forbids eval, which string expressions would need.
    page.wait_for_function("v => document.querySelector(v).readyState >= 1", arg=video)
    started = page.evaluate(
        f"async () => {{ const v = document.querySelector('{video}'); v.muted = true; await v.play();"
        " return v.currentTime; }"
    )
    page.wait_for_function("v => document.querySelector(v).readyState >= 2", arg=video)
    page.wait_for_function(
        "([v, t]) => document.querySelector(v).currentTime > t + 0.3", arg=[video, started]
    )
    page.evaluate(f"document.querySelector('{video}').pause()")
    screenshot(page, "04-card-done-desktop")

    page.set_viewport_size(PHONE)
    screenshot(page, "05-project-phone")
    box = card.locator("video").bounding_box()
    assert box["height"] > box["width"] * 1.5  # a 9:16 video stays portrait on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll

    # The gallery lists it.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="My generations").click()
    page.wait_for_url(re.compile(r"/gallery/$"))
    item = page.locator(".gallery-item", has_text="lanterns rise over the river")
    assert item.count() == 1 and item.locator("video").count() == 1
    screenshot(page, "06-gallery-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "07-gallery-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 800})

    # Switching the language: the select submits itself (the script hides the button).
    page.goto(f"/projects/{generation.project.code}/")
    assert page.get_by_role("button", name="Change language").is_hidden()
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    assert page.get_by_role("button", name="生成视频").is_visible()
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="项目").is_visible()
    assert page.locator(f"#gen-{generation.code} [data-status]").inner_text() == "已完成"
    screenshot(page, "08-project-chinese-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "09-project-chinese-phone")

    assert page.console.problems == [], page.console.problems


def test_frames_are_checked_in_the_page_before_upload(page, alice, alice_project, tmp_path, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/projects/{alice_project.code}/")

    start = page.locator("#id_start_frame")
    start.set_input_files(png(tmp_path, "small.png", (200, 200)))
    error = page.locator("#field-start_frame .client-error")
    error.wait_for()
    assert error.inner_text() == "The image is 200×200 px; its short side must be at least 300 px."
    assert start.get_attribute("aria-invalid") == "true"
    assert "id_start_frame-client-error" in start.get_attribute("aria-describedby")

    page.locator("#id_prompt").fill("a small picture")
    page.get_by_role("button", name="Generate video").click()
    assert page.evaluate("document.activeElement.id") == "id_start_frame"  # focus goes to the problem
    assert Generation.objects.count() == 0  # nothing was sent

    # A wide frame for a portrait video: allowed, with a warning that follows the chosen ratio.
    start.set_input_files(png(tmp_path, "wide.png", (1280, 720)))
    warning = page.locator("#field-start_frame .client-warning")
    warning.wait_for()
    assert error.count() == 0
    assert "1280×720" in warning.inner_text() and "9:16" in warning.inner_text()
    screenshot(page, "10-frame-warning-desktop")
    page.locator("#id_aspect_ratio").select_option("16:9")
    assert warning.count() == 0

    page.locator("#id_end_frame").set_input_files(png(tmp_path, "text.png", (400, 400)))
    page.locator("#field-end_frame .frame-preview img").wait_for()
    page.set_input_files("#id_start_frame", [])
    page.get_by_role("button", name="Generate video").click()
    assert page.locator("#field-end_frame .client-error").inner_text() == "An end frame needs a start frame."
    assert Generation.objects.count() == 0
    assert page.console.problems == [], page.console.problems


def test_a_chinese_browser_gets_chinese_and_the_keyboard_reaches_everything(browser, live_server, alice):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        problems = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.goto("/accounts/login/")
        assert page.evaluate("document.documentElement.lang") == "zh-hans"
        assert page.get_by_role("heading", name="登录").is_visible()
        page.get_by_label("用户名").fill("alice")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/projects/$"))

        # The first Tab lands on the skip link, which becomes visible and leads to the content.
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="跳到正文")
        assert page.evaluate("document.activeElement.textContent") == "跳到正文"
        assert skip.bounding_box()["x"] >= 0
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")

        # Every form control on the page has a label.
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.name)"""
        )
        assert unlabelled == []
        assert problems == []
    finally:
        context.close()
