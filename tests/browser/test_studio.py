"""A person's day in the studio, in a real browser: sign up, generate from a start frame, watch it
finish without reloading, play it, find it in the gallery (hover preview), star it, filter the
gallery, remix it and follow the lineage, switch to Chinese; and the gallery's infinite scroll,
with real page links when scripts are off.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from studio.generations.gallery import PAGE_SIZE
from studio.generations.models import Generation, Status
from tests.browser.pages import DESKTOP, PHONE, sign_in
from tests.factories import PASSWORD, finished_videos

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


def poll_until_done(generation: Generation, rounds: int = 6) -> None:
    for _ in range(rounds):
        generation.refresh_from_db()
        if generation.status == Status.SUCCEEDED:
            return
        poll_once()
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED, generation.error_message


def shown(page) -> list[str]:
    """The prompts of the gallery items, in the order a person sees them."""
    return [
        text.strip()
        for text in page.locator(".gallery-item .caption-text a").evaluate_all(
            "els => els.map(e => e.textContent)"
        )
    ]


def choose(page, name: str, value: str) -> None:
    """Pick one of the composer's segmented choices (radio buttons drawn as toggles)."""
    page.locator(f"input[name={name}][value='{value}']").check()


def checked(page, name: str) -> str:
    return page.locator(f"input[name={name}]:checked").get_attribute("value")


def both_sizes(page, screenshot, name: str) -> None:
    """Screenshots at desktop and phone sizes; the phone never scrolls sideways."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.set_viewport_size(DESKTOP)


def apply_filters(page, *, q: str = "", ratio: str = "", starred: bool = False) -> None:
    """Change the gallery's filters as a person does: each change applies at once (htmx), no button,
    and the address bar follows (so the filtered gallery can be bookmarked)."""
    search = page.get_by_label("Search prompts")
    if search.input_value() != q:
        search.fill(q)
        search.dispatch_event("keyup")
    page.locator(f"input[name=ratio][value='{ratio}']").check()
    page.locator("#id_starred").set_checked(starred)
    page.wait_for_function(
        """([q, ratio, starred]) => {
            const p = new URL(location).searchParams;
            return (p.get("q") || "") === q && (p.get("ratio") || "") === ratio
                && (p.get("starred") === "on") === starred;
        }""",
        arg=[q, ratio, starred],
    )
    page.wait_for_load_state("networkidle")


def test_generate_from_a_start_frame_watch_play_star_filter_remix_and_switch_to_chinese(
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
    choose(page, "aspect_ratio", "9:16")
    choose(page, "clarity", "720")  # not the defaults: a remix must carry them over
    choose(page, "duration", "10")
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
    assert page.get_by_text("Nothing generated yet.").is_hidden()  # the empty project's hint went
    status = card.locator(".gen-foot [data-status]").first
    assert status.inner_text() == "Waiting to send"
    generation = Generation.objects.get()
    assert generation.start_frame and (generation.aspect_ratio, generation.clarity, generation.duration) == (
        "9:16",
        720,
        10,
    )
    # The composer keeps the prompt and every setting, and says what happened by the button.
    assert page.locator("#id_prompt").input_value() == prompt
    assert (checked(page, "aspect_ratio"), checked(page, "clarity"), checked(page, "duration")) == (
        "9:16",
        "720",
        "10",
    )
    assert page.locator("#generate-status").inner_text() == "1 video queued"
    screenshot(page, "03-card-waiting-desktop")

    # The poller sends it; the card, polling by itself, changes without a reload.
    poll_once()
    page.wait_for_function(
        "code => { const b = document.querySelector(`#gen-${code} .gen-foot [data-status]`);"
        " return b && b.textContent.trim() !== 'Waiting to send'; }",
        arg=str(generation.code),
    )
    poll_until_done(generation)
    card = page.locator(f"#gen-{generation.code}")
    card.locator("video").wait_for(timeout=15_000)
    assert card.locator(".gen-foot [data-status]").inner_text() == "Done"
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

    # The gallery lists it, with a second (landscape) video made the cheap way beside it.
    page.set_viewport_size(DESKTOP)
    (harbour,) = finished_videos(
        generation.project, generation.created_by, ["港口日出 sunrise over the harbour"], aspect_ratio="16:9"
    )
    page.get_by_role("link", name="My generations").click()
    page.wait_for_url(re.compile(r"/gallery/$"))
    lantern = "🏮 灯笼缓缓升起 lanterns rise over the river"
    assert shown(page) == [harbour.prompt, lantern]
    item = page.locator(f"#item-{generation.code}")
    assert item.locator("video").count() == 1
    screenshot(page, "06-gallery-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "07-gallery-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    hover_starts_the_muted_preview(page, generation)
    star_it_and_filter_by_stars(page, screenshot, generation, harbour)
    filter_by_words_and_ratio(page, screenshot, generation, harbour)
    remix_it_and_follow_the_lineage(page, screenshot, generation)

    # Switching the language: the select submits itself (the script hides the button).
    page.goto(f"/projects/{generation.project.code}/")
    assert page.get_by_role("button", name="Change language").is_hidden()
    page.get_by_label("Account and settings").click()  # the account menu holds language and theme
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    assert page.get_by_role("button", name="生成视频").is_visible()
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="项目").is_visible()
    assert page.locator(f"#gen-{generation.code} [data-status]").inner_text() == "已完成"
    screenshot(page, "08-project-chinese-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "09-project-chinese-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/gallery/?q=灯笼")
    assert page.get_by_role("heading", name="我的作品").is_visible()
    assert page.get_by_label("搜索提示词").input_value() == "灯笼"
    assert shown(page) == [lantern + " at dusk", lantern]  # the remix and its parent
    both_sizes(page, screenshot, "17-gallery-chinese")

    assert page.console.problems == [], page.console.problems


def hover_starts_the_muted_preview(page, generation) -> None:
    """A gallery thumbnail plays its muted preview while hovered or focused, and stops after."""
    thumb = page.locator(f"#item-{generation.code} .gallery-thumb")
    video = f"#item-{generation.code} .gallery-thumb video"
    assert page.evaluate("v => { const e = document.querySelector(v); return e.muted && e.paused; }", video)
    thumb.hover()
    page.wait_for_function("v => !document.querySelector(v).paused", arg=video)
    page.mouse.move(0, 0)
    page.wait_for_function("v => document.querySelector(v).paused", arg=video)
    thumb.focus()  # the keyboard gets the same preview
    page.wait_for_function("v => !document.querySelector(v).paused", arg=video)
    page.locator("body").focus()
    page.evaluate("() => document.activeElement.blur()")
    page.wait_for_function("v => document.querySelector(v).paused", arg=video)


def star_it_and_filter_by_stars(page, screenshot, generation, other) -> None:
    item = page.locator(f"#item-{generation.code}")
    star = item.get_by_role("button", name="Star", exact=True)
    assert star.get_attribute("aria-pressed") == "false"
    page.evaluate("window.stillTheSamePage = true")
    star.click()
    starred = item.locator("button.star[aria-pressed=true]")
    starred.wait_for()  # swapped in place by htmx
    assert starred.get_attribute("title") == "Starred"
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator(f"#item-{other.code}").get_by_role("button", name="Star", exact=True).is_visible()

    apply_filters(page, starred=True)
    assert "starred=on" in page.url
    assert shown(page) == [generation.prompt]  # the unstarred harbour video is left out
    assert page.locator("#id_starred").is_checked()
    both_sizes(page, screenshot, "12-gallery-starred")


def filter_by_words_and_ratio(page, screenshot, generation, other) -> None:
    apply_filters(page, q="灯笼")  # Chinese
    assert shown(page) == [generation.prompt]
    apply_filters(page, q="Harbour")  # English, in another case
    assert shown(page) == [other.prompt]
    apply_filters(page, q="日出 sunrise")  # every word must match
    assert shown(page) == [other.prompt]
    apply_filters(page, ratio="9:16")
    assert shown(page) == [generation.prompt]
    apply_filters(page, q="lanterns", ratio="9:16")
    assert shown(page) == [generation.prompt]
    assert page.get_by_role("link", name="Clear filters").is_visible()
    both_sizes(page, screenshot, "11-gallery-filtered")

    apply_filters(page, q="灯笼", ratio="16:9")  # nothing is both
    assert shown(page) == []
    assert page.get_by_text("No videos match these filters.").is_visible()
    both_sizes(page, screenshot, "13-gallery-no-match")
    page.get_by_role("link", name="Clear filters").first.click()
    page.wait_for_url(re.compile(r"/gallery/$"))
    page.wait_for_load_state("networkidle")
    assert shown(page) == [other.prompt, generation.prompt]


def remix_it_and_follow_the_lineage(page, screenshot, parent) -> None:
    page.locator(f"#item-{parent.code}").get_by_role("link", name="Use these settings").click()
    page.wait_for_url(re.compile(rf"/g/{parent.code}/remix$"))
    assert page.locator("#id_prompt").input_value() == parent.prompt
    assert page.locator("[data-char-count-for=id_prompt]").inner_text() == "37 / 2000 characters"
    assert (checked(page, "aspect_ratio"), checked(page, "clarity"), checked(page, "duration")) == (
        "9:16",
        "720",
        "10",
    )
    original = page.get_by_role("img", name="Start frame of the original video")
    assert original.is_visible()
    page.wait_for_function(
        "() => document.querySelector('.remix-source img').naturalWidth === 360"
    )  # the original's start frame, offered
    assert page.get_by_label("Use its start frame").is_checked()
    both_sizes(page, screenshot, "14-remix-form")

    page.locator("#id_prompt").fill(parent.prompt + " at dusk")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Generate video").click()
    new_card = page.locator("#generation-list .shot", has_text="at dusk")
    new_card.wait_for()
    child = Generation.objects.get(parent=parent)
    assert (child.aspect_ratio, child.clarity, child.duration) == ("9:16", 720, 10)
    assert child.start_frame.name == parent.start_frame.name  # the stored frame, reused
    poll_until_done(child)
    page.locator(f"#gen-{child.code} video").wait_for(timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True

    page.locator(f"#gen-{child.code}").get_by_role("link", name="Open").click()
    page.wait_for_url(re.compile(rf"/g/{child.code}/$"))
    made_from = page.locator(".lineage a[rel=up]")
    assert made_from.get_attribute("href") == f"/g/{parent.code}/"
    assert "Made from" in page.locator(".lineage .trail").first.inner_text()
    both_sizes(page, screenshot, "15-player-lineage")
    made_from.click()
    page.wait_for_url(re.compile(rf"/g/{parent.code}/$"))
    trail = page.locator(".lineage ul.trail a")
    assert trail.count() == 1 and trail.get_attribute("href") == f"/g/{child.code}/"
    assert trail.get_attribute("title") == child.prompt
    screenshot(page, "16-player-parent-desktop")


def test_frames_are_checked_in_the_page_before_upload(page, alice, alice_project, tmp_path, screenshot):
    sign_in(page, "alice", PASSWORD)
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
    choose(page, "aspect_ratio", "16:9")
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


def test_the_gallery_scrolls_on_without_navigation_and_pages_by_links_without_scripts(
    browser, live_server, page, alice, alice_project, screenshot
):
    prompts = [f"clip {index:02d}" for index in range(PAGE_SIZE + 5)]
    finished_videos(alice_project, alice, prompts)
    sign_in(page, "alice", PASSWORD)
    page.goto("/gallery/")
    assert shown(page) == prompts[:PAGE_SIZE]
    page.evaluate("window.stillTheSamePage = true")
    page.locator(".gallery-item").last.scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelectorAll('.gallery-item').length === {len(prompts)}")
    assert shown(page) == prompts  # in order, no gaps, no repeats
    assert page.evaluate("window.stillTheSamePage") is True and page.url.endswith("/gallery/")
    assert page.get_by_text("That is everything for these filters.").is_visible()
    assert page.locator("#gallery-pager").count() == 1
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.console.problems == [], page.console.problems

    # Without JavaScript, the same person follows the "Next page" link.
    no_script = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        no_script.add_cookies(page.context.cookies())
        plain = no_script.new_page()
        plain.goto("/gallery/")
        assert shown(plain) == prompts[:PAGE_SIZE]
        plain.get_by_role("link", name="Next page").click()
        plain.wait_for_url(re.compile(r"/gallery/\?after="))
        assert shown(plain) == prompts[PAGE_SIZE:]
        assert plain.get_by_role("link", name="Back to the first page").is_visible()
        screenshot(plain, "18-gallery-second-page-no-script-phone")
    finally:
        no_script.close()
