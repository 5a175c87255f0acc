"""The media-first redesign in a real browser, at 1280×800 and 390×844: the composer keeps its
settings after Generate, frames arrive by drag and drop or paste, the gallery's lightbox follows
the keyboard, several videos download as one ZIP, delete and restore go through the Trash, a
viewer is told their role, and the theme toggle sticks. Every test fails on a console error or
a CSP violation.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
import zipfile

import pytest
from django.utils import timezone
from PIL import Image

from studio.generations.models import Generation, Status
from studio.generations.quota import remaining
from studio.workspaces.models import Membership
from tests.browser.pages import DESKTOP, PHONE, sign_in
from tests.factories import PASSWORD, finished_generation, finished_videos

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=list(SIZES))
def size(request, page):
    page.set_viewport_size(SIZES[request.param])
    return request.param


@pytest.fixture
def no_provider(settings):
    """Generations stay pending: nothing answers at this address, and the page must not care."""
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"


def png_b64(size=(360, 640), colour=(40, 160, 90)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def choose(page, name: str, value: str) -> None:
    page.locator(f"input[name={name}][value='{value}']").check()


def checked(page, name: str) -> str:
    return page.locator(f"input[name={name}]:checked").get_attribute("value")


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_generate_keeps_the_prompt_and_every_setting(page, size, alice, alice_project, no_provider):
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/projects/{alice_project.code}/")
    prompt = "一只白鹭掠过稻田 an egret skims the rice field"
    page.locator("#id_prompt").fill(prompt)
    choose(page, "aspect_ratio", "16:9")
    choose(page, "clarity", "720")
    choose(page, "takes", "2")
    button = page.get_by_role("button", name="Generate video")
    button.click()
    status = page.locator("#generate-status")
    page.wait_for_function(
        "() => document.querySelector('#generate-status').textContent === '2 videos queued'"
    )
    # Everything stays for the next try.
    assert page.locator("#id_prompt").input_value() == prompt
    assert [checked(page, n) for n in ("aspect_ratio", "clarity", "duration", "takes")] == [
        "16:9",
        "720",
        "5",
        "2",
    ]
    # Two takes under one prompt header, as Take 1 and Take 2.
    shot = page.locator("#generation-list .shot").first
    assert shot.locator(".shot-prompt").inner_text() == prompt
    assert shot.locator(".take-label").all_inner_texts() == ["Take 1", "Take 2"]
    # Its time is written as words by the page's script; the date stays as the tooltip.
    when = shot.locator("time[data-relative]")
    assert re.fullmatch(r"now|\d+ seconds? ago", when.inner_text()), when.inner_text()
    assert when.get_attribute("title")
    # The new cards are in view, on a phone too (where they are below the composer).
    page.wait_for_function(
        "() => { const r = document.querySelector('#generation-list .shot').getBoundingClientRect();"
        " return r.top >= -1 && r.top < window.innerHeight - 100; }"
    )
    # Pressing again makes two more: the composer's submit token was renewed.
    status.evaluate("el => el.textContent = ''")
    button.click()
    page.wait_for_function("() => document.querySelectorAll('#generation-list .shot').length === 2")
    assert status.inner_text() == "2 videos queued"
    assert Generation.objects.filter(prompt=prompt, aspect_ratio="16:9", clarity=720, duration=5).count() == 4
    no_sideways_scroll(page)
    assert page.console.problems == [], page.console.problems


def test_frames_arrive_by_drag_and_drop_and_by_paste(page, size, alice, alice_project, no_provider):
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/projects/{alice_project.code}/")
    page.locator("#id_prompt").fill("从这一帧开始 start from this frame")
    # A file dragged from the desktop onto the start zone.
    page.evaluate(
        """data => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dragged.png", {type: "image/png"}));
            const zone = document.querySelector("#field-start_frame [data-drop-zone]");
            const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        png_b64((360, 640)),
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('#field-start_frame .frame-preview img');"
        " return i && i.naturalWidth === 360; }"
    )
    assert page.evaluate("document.querySelector('#id_start_frame').files[0].name") == "dragged.png"
    # An image pasted from the clipboard fills the first empty zone: the end frame.
    page.evaluate(
        """data => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "pasted.png", {type: "image/png"}));
            const init = {clipboardData: transfer, bubbles: true, cancelable: true};
            document.dispatchEvent(new ClipboardEvent("paste", init));
        }""",
        png_b64((360, 640), (200, 60, 40)),
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('#field-end_frame .frame-preview img');"
        " return i && i.naturalWidth === 360; }"
    )
    assert page.locator("#field-start_frame .frame-preview figcaption").inner_text() == "dragged.png"
    page.get_by_role("button", name="Generate video").click()
    page.wait_for_function(
        "() => document.querySelector('#generate-status').textContent === '1 video queued'"
    )
    generation = Generation.objects.get()
    assert generation.start_frame and generation.end_frame  # both went up with the form
    with generation.start_frame.open("rb") as stored:
        assert Image.open(stored).getpixel((5, 5)) == (40, 160, 90)
    # The frames stay in their zones for the next take.
    assert page.evaluate("document.querySelector('#id_end_frame').files.length") == 1
    assert page.console.problems == [], page.console.problems


def test_the_lightbox_follows_the_keyboard(page, size, alice, alice_project):
    made = [
        finished_generation(alice_project.workspace, alice_project, alice, prompt=p)
        for p in ("third shot", "second shot", "first shot")
    ]
    assert len(made) == 3
    sign_in(page, "alice", PASSWORD)
    page.goto("/gallery/")
    page.locator(".gallery-item .gallery-thumb").first.click()
    dialog = page.locator("#lightbox")
    title = dialog.locator("[data-lightbox-title]")
    dialog.wait_for()
    assert page.evaluate("document.querySelector('#lightbox').open") is True
    assert title.inner_text() == "first shot"
    page.keyboard.press("ArrowRight")
    assert title.inner_text() == "second shot"
    page.keyboard.press("ArrowRight")
    assert title.inner_text() == "third shot"
    page.keyboard.press("ArrowRight")  # round to the start
    assert title.inner_text() == "first shot"
    page.keyboard.press("ArrowLeft")
    assert title.inner_text() == "third shot"
    video_src = dialog.locator("video").get_attribute("src")
    assert video_src == f"/g/{made[0].code}/video.mp4"
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#lightbox').open")
    # Focus goes back to the thumbnail of the video that was shown last.
    assert page.evaluate("document.activeElement.closest('.gallery-item').id") == f"item-{made[0].code}"
    no_sideways_scroll(page)
    assert page.console.problems == [], page.console.problems


def test_several_videos_download_as_one_zip(page, size, alice, alice_project, tmp_path):
    older = finished_generation(alice_project.workspace, alice_project, alice, prompt="雨夜街头 rainy street")
    newer = finished_generation(alice_project.workspace, alice_project, alice, prompt="sunrise")
    finished_generation(alice_project.workspace, alice_project, alice, prompt="not chosen")
    sign_in(page, "alice", PASSWORD)
    page.goto("/gallery/")
    for generation in (older, newer):
        page.locator(f"#item-{generation.code} [data-select]").check()
    assert page.locator("[data-selected-count]").inner_text() == "2 selected"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download ZIP").click()
    path = tmp_path / "chosen.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == [
            f"01-sunrise-{str(newer.code)[:8]}.mp4",
            f"02-雨夜街头-rainy-street-{str(older.code)[:8]}.mp4",
        ]
        for name, generation in zip(names, (newer, older), strict=True):
            with generation.video.open("rb") as stored:
                assert archive.read(name) == stored.read()
    assert page.console.problems == [], page.console.problems


def test_delete_to_the_trash_and_restore(page, size, alice, alice_project):
    generation = finished_generation(
        alice_project.workspace, alice_project, alice, prompt="keep me after all"
    )
    before = remaining(alice_project.workspace, alice)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/projects/{alice_project.code}/")
    card = page.locator(f"#gen-{generation.code}")
    card.hover()
    card.get_by_role("button", name="Delete").click()
    card.wait_for(state="detached")
    generation.refresh_from_db()
    assert generation.deleted_at is not None and generation.status == Status.SUCCEEDED
    assert remaining(alice_project.workspace, alice) == before  # deleting changes no usage figure

    page.get_by_role("link", name="Trash").click()
    page.wait_for_url(re.compile(r"/trash/$"))
    item = page.locator(f"#trash-{generation.code}")
    assert "keep me after all" in item.inner_text()
    no_sideways_scroll(page)
    item.get_by_role("button", name="Restore").click()
    page.wait_for_url(re.compile(r"/trash/$"))
    assert page.get_by_text("Restored. It is back in its project.").is_visible()
    assert page.get_by_text("The Trash is empty.").is_visible()
    page.goto(f"/projects/{alice_project.code}/")
    assert page.locator(f"#gen-{generation.code}").is_visible()

    # A project goes to the Trash with its videos, and comes back with them.
    page.get_by_label("Project actions").click()
    page.get_by_role("button", name="Delete project").click()
    page.wait_for_url(re.compile(r"/projects/$"))
    page.goto("/trash/")
    page.locator(f"#trash-{alice_project.code}").get_by_role("button", name="Restore").click()
    page.wait_for_url(re.compile(rf"/projects/{alice_project.code}/$"))
    assert page.locator(f"#gen-{generation.code}").is_visible()
    assert page.console.problems == [], page.console.problems


def test_a_viewer_is_told_their_role_and_lands_in_the_last_workspace(page, size, team, team_generation):
    # Signed in before, the viewer switched to the team: the next sign-in opens the team.
    Membership.objects.filter(user=team["viewer"], workspace=team["workspace"]).update(
        last_used_at=timezone.now()
    )
    sign_in(page, "viewer", PASSWORD)
    assert page.locator(".workspace-menu summary .ws-name").inner_text() == "Team"
    note = page.locator("#role-note")
    assert "You are a Viewer in Team" in note.inner_text()
    assert "ask admin, owner to make you an editor" in note.inner_text()
    assert page.get_by_role("button", name="Create project").count() == 0
    page.goto(f"/projects/{team['project'].code}/")
    assert page.locator("#role-note").is_visible()
    assert page.locator("#generation-form").count() == 0
    card = page.locator(f"#gen-{team_generation.code}")
    card.hover()
    assert card.get_by_role("button", name="Delete").count() == 0  # not offered (and refused: 403)
    assert card.get_by_role("link", name="Download").is_visible()
    page.goto("/gallery/team/")
    assert page.locator("#role-note").is_visible()
    assert page.locator("#bulk-form").get_by_role("button", name="Delete").count() == 0
    no_sideways_scroll(page)
    assert page.console.problems == [], page.console.problems


def test_the_theme_toggle_sticks_without_a_flash(page, size, alice):
    sign_in(page, "alice", PASSWORD)
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate(background)
    page.get_by_label("Account and settings").click()
    page.get_by_role("button", name="Light").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate(background) != dark
    assert page.evaluate("localStorage.getItem('theme')") == "light"
    # The server renders the chosen theme into the page itself: right from the first paint.
    html = page.request.get("/projects/").text()
    assert '<html lang="en" data-theme="light">' in html
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.console.problems == [], page.console.problems


def test_a_first_visit_is_small_and_asks_no_one_else(page, size, alice, alice_project, live_server):
    """All of a project page's first load, compressed, is at most 100 KB, all from the studio."""
    finished_generation(alice_project.workspace, alice_project, alice)
    sign_in(page, "alice", PASSWORD)
    fresh = page.context.browser.new_context(base_url=live_server.url, viewport=SIZES[size])
    try:
        fresh.add_cookies(page.context.cookies())  # the session only: an empty cache
        first = fresh.new_page()
        loaded = []
        first.on("response", lambda response: loaded.append(response))
        first.goto(f"/projects/{alice_project.code}/", wait_until="networkidle")
        assert [r.url for r in loaded if not r.url.startswith(live_server.url)] == []
        assert any(r.url.endswith(".css") for r in loaded) and any(r.url.endswith(".js") for r in loaded)
        media = ("video.mp4", "poster.jpg", "/frames/")
        pages = [r for r in loaded if not any(m in r.url for m in media)]
        size_kb = sum(len(gzip.compress(r.body())) for r in pages) / 1024
        assert size_kb <= 100, f"{size_kb:.0f} KB"
    finally:
        fresh.close()


def test_the_project_page_shows_older_videos_on_request(page, size, alice, alice_project):
    from studio.generations.views import PAGE_SIZE

    prompts = [f"clip {index:02d}" for index in range(PAGE_SIZE + 6)]
    finished_videos(alice_project, alice, prompts, minutes_ago=90)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/projects/{alice_project.code}/")
    shots = page.locator("#generation-list .shot")
    assert shots.count() == PAGE_SIZE
    assert shots.first.locator("time[data-relative]").inner_text() == "1 hour ago"
    page.get_by_role("link", name="Show older videos").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('#generation-list .shot').length === {len(prompts)}"
    )
    assert page.locator(".shot-prompt").all_inner_texts() == prompts  # in order, no repeats
    assert page.url.endswith(f"/projects/{alice_project.code}/")  # appended in place
    assert page.get_by_role("link", name="Show older videos").count() == 0
    assert page.locator("#generation-list time[data-relative]").last.inner_text() == "1 hour ago"
    no_sideways_scroll(page)
    assert page.console.problems == [], page.console.problems
