"""Exports: stitched by the poller's export step, re-encoded to the sequence's size, retried and
given up on like generations."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from studio.sequences import export as exporting
from studio.sequences.models import Export, ExportStatus, Fit
from tests.factories import make_project, make_sequence
from tests.sequences.imaging import decoded_frames, duration_of, video_generation

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture
def project(alice):
    return make_project(created_by=alice)


def test_a_crossfade_overlaps_the_shots_and_shortens_the_export_by_its_length(project):
    # 2 s of red at 4 fps, then 2 s of blue: a 0.5 s crossfade makes 3.5 s.
    shots = [video_generation(project, [color] * 8, size=(64, 36)) for color in (RED, BLUE)]
    sequence = make_sequence(project, shots, aspect_ratio="16:9", clarity=720, crossfade_ms=500)
    export = exporting.request_export(sequence, project.created_by)
    assert exporting.handle_one("test-worker")
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert abs(duration_of(export.video.path) - 3.5) <= 0.1
    assert export.video_seconds == pytest.approx(3.5, abs=0.01)
    frames = decoded_frames(export.video.path)
    assert len(frames) == 14
    r, _g, b = frames[0].getpixel((640, 360))
    assert r > 180 and b < 80  # red before the crossfade
    r, _g, b = frames[7].getpixel((640, 360))
    assert 60 < r < 190 and 60 < b < 190  # mid-crossfade: a blend
    r, _g, b = frames[-1].getpixel((640, 360))
    assert b > 180 and r < 80


@pytest.mark.parametrize(("fit", "bars"), [(Fit.FIT, True), (Fit.FILL, False)])
def test_shots_of_another_shape_get_bars_or_are_cropped(project, fit, bars):
    square = video_generation(project, [RED] * 4, size=(64, 64))
    sequence = make_sequence(project, [square], aspect_ratio="16:9", clarity=720, fit=fit)
    exporting.request_export(sequence, project.created_by)
    exporting.handle_one("test-worker")
    frame = decoded_frames(Export.objects.get().video.path)[0]
    assert frame.size == (1280, 720)
    r, _g, _b = frame.getpixel((20, 360))  # the left edge
    assert (r < 30) is bars
    assert frame.getpixel((640, 360))[0] > 180


def test_shots_at_different_frame_rates_keep_their_durations(project):
    slow = video_generation(project, [RED] * 4, size=(64, 36), fps=2)  # 2 s
    fast = video_generation(project, [BLUE] * 12, size=(128, 72), fps=6)  # 2 s
    sequence = make_sequence(project, [slow, fast], aspect_ratio="16:9", clarity=720)
    exporting.request_export(sequence, project.created_by)
    exporting.handle_one("test-worker")
    path = Export.objects.get().video.path
    assert abs(duration_of(path) - 4.0) <= 0.1
    frames = decoded_frames(path)
    assert len(frames) == 24  # everything at the faster rate
    assert frames[11].getpixel((640, 360))[0] > 180 and frames[12].getpixel((640, 360))[2] > 180


# The poller renames its PostgreSQL connection (closing it), which a test transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_the_poller_runs_the_export_step_and_a_broken_export_is_retried_then_failed(project, settings):
    good = video_generation(project, [RED] * 4)
    sequence = make_sequence(project, [good])
    export = exporting.request_export(sequence, project.created_by)
    good.video.delete(save=False)  # the file vanished: stitching raises
    for attempt in range(1, exporting.MAX_ATTEMPTS + 1):
        Export.objects.filter(pk=export.pk).update(next_attempt_at=export.created_at)
        call_command("poll_generations", "--once")
        export.refresh_from_db()
        assert export.attempts == attempt
        assert export.lease_owner == ""
    assert export.status == ExportStatus.FAILED
    assert export.error_message


def test_an_export_with_no_finished_shot_is_refused(client, alice, project):
    sequence = make_sequence(project)
    client.force_login(alice)
    response = client.post(f"/sequences/{sequence.code}/export", follow=True)
    assert "Add a finished video" in response.content.decode()
    assert not Export.objects.exists()


def test_a_claimed_export_is_left_alone_until_its_lease_runs_out(project):
    sequence = make_sequence(project, [video_generation(project, [RED] * 4)])
    export = exporting.request_export(sequence, project.created_by)
    assert exporting.claim("worker-a").pk == export.pk
    assert exporting.claim("worker-b") is None
    Export.objects.filter(pk=export.pk).update(lease_expires_at=export.created_at)  # worker-a died
    taken = exporting.claim("worker-b")
    assert taken is not None and taken.lease_owner == "worker-b" and taken.attempts == 2
