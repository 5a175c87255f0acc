"""Shot chains and sequences in a real browser: continue a shot from its last frame, put the
shots in a sequence, reorder them with the keyboard, export, and play the export. Fails on any
console error or CSP violation."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from studio.generations.models import Generation, ParentKind, Status
from studio.sequences.models import Export, ExportStatus, Sequence
from tests.browser.pages import sign_in
from tests.factories import PASSWORD
from tests.sequences.imaging import video_generation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def poll_once() -> None:
    Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).update(
        next_attempt_at=timezone.now()
    )
    call_command("poll_generations", "--once")


def order_on_page(page) -> list[str]:
    return page.eval_on_selector_all(
        ".shot-list [data-shot] .shot-title", "items => items.map(i => i.textContent)"
    )


def test_continue_reorder_by_keyboard_export_and_play(page, alice, alice_project, sandbox, screenshot):
    first = video_generation(
        alice_project,
        [(200, 40, 40)] * 3 + [(40, 40, 200)],
        size=(640, 360),
        fps=2,
        prompt="the first shot",
        aspect_ratio="16:9",
        clarity=720,
        created_by=alice,
    )
    sign_in(page, "alice", PASSWORD)

    # Continue this shot: the composer opens with its last frame, prompt, ratio and clarity.
    page.goto(f"/g/{first.code}/")
    page.get_by_role("link", name="Continue this shot").click()
    page.wait_for_url(re.compile(rf"/g/{first.code}/continue$"))
    frame = page.get_by_role("img", name="Last frame of the video it continues")
    page.wait_for_function("img => img.complete && img.naturalWidth === 640", arg=frame.element_handle())
    assert page.locator("input[name=aspect_ratio]:checked").get_attribute("value") == "16:9"
    assert page.locator("input[name=clarity]:checked").get_attribute("value") == "720"
    prompt = page.get_by_role("textbox", name="Prompt")
    assert prompt.input_value() == "the first shot"
    prompt.fill("the second shot")
    page.get_by_role("button", name="Generate video").click()
    page.get_by_text("1 video queued").wait_for()
    second = Generation.objects.get(prompt="the second shot")
    assert (second.parent, second.parent_kind) == (first, ParentKind.CONTINUE)
    for _ in range(6):
        poll_once()
        second.refresh_from_db()
        if second.status == Status.SUCCEEDED:
            break
    assert second.status == Status.SUCCEEDED, second.error_message

    # Both go into a new sequence, from their cards' "Add to a sequence".
    page.goto(f"/g/{first.code}/add-to-sequence")
    page.get_by_label("Or start a new sequence named").fill("Opening")
    page.get_by_role("button", name="Create and add").click()
    page.wait_for_url(re.compile(r"/sequences/[0-9a-f-]{36}/$"))
    page.goto(f"/g/{second.code}/add-to-sequence")
    page.get_by_role("button", name="Add at the end").click()
    page.wait_for_url(re.compile(r"/sequences/[0-9a-f-]{36}/$"))
    assert order_on_page(page) == ["the first shot", "the second shot"]

    # Reorder with the keyboard: Enter on "Move up", then Alt+↓ on the focused shot.
    second_item = page.locator(".shot-list [data-shot]").nth(1)
    second_item.get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.shot-list [data-shot] .shot-title').textContent === 'the second shot'"
    )
    sequence = Sequence.objects.get()
    assert [s.generation for s in sequence.shots.all()] == [second, first]
    page.locator(".shot-list [data-shot]").first.focus()
    page.keyboard.press("Alt+ArrowDown")
    page.wait_for_function(
        "() => document.querySelector('.shot-list [data-shot] .shot-title').textContent === 'the first shot'"
    )
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('[data-shot]')")
    assert [s.generation for s in sequence.shots.all()] == [first, second]

    # The sequence plays shot after shot: the second video takes over when the first ends.
    page.get_by_role("button", name="Play all shots").click()
    page.wait_for_function(
        "() => document.querySelector('[data-sequence-player]').dataset.playing === '1'", timeout=20_000
    )

    # Export: queued in the page, stitched by the worker, then ready to play.
    page.get_by_role("button", name="Export as one MP4").click()
    page.locator("[data-export-status=queued]").wait_for()
    call_command("poll_generations", "--once")
    assert Export.objects.get().status == ExportStatus.DONE
    page.locator("[data-export-status=done]").wait_for(timeout=10_000)  # the panel's own polling
    video = "#exports .export-video"
    page.wait_for_function("v => document.querySelector(v).readyState >= 1", arg=video)
    started = page.evaluate(
        f"async () => {{ const v = document.querySelector('{video}'); v.muted = true; await v.play();"
        " return v.currentTime; }"
    )
    page.wait_for_function(
        "([v, t]) => document.querySelector(v).currentTime > t + 0.3", arg=[video, started]
    )
    duration = page.evaluate(f"document.querySelector('{video}').duration")
    assert abs(duration - 7.0) < 0.15  # 2 s of the first shot and 5 s of the second
    screenshot(page, "sequence-desktop")
    assert page.console.problems == []


def test_drag_and_drop_reorders_the_shots(page, alice, alice_project):
    from tests.factories import finished_generation, make_sequence

    shots = [
        finished_generation(project=alice_project, user=alice, prompt=p) for p in ("one", "two", "three")
    ]
    sequence = make_sequence(alice_project, shots, created_by=alice)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/sequences/{sequence.code}/")
    items = page.locator(".shot-list [data-shot]")
    items.nth(0).drag_to(items.nth(2), target_position={"x": 10, "y": 40})
    page.wait_for_function(
        "() => document.querySelector('.shot-list [data-shot]:last-child .shot-title').textContent === 'one'"
        " && !document.querySelector('.dragging')"
    )
    page.wait_for_load_state("networkidle")
    assert [s.generation.prompt for s in sequence.shots.select_related("generation")] == [
        "two",
        "three",
        "one",
    ]
    page.reload()
    assert order_on_page(page) == ["two", "three", "one"]
