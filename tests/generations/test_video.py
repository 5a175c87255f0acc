"""Checks of a downloaded video (studio.generations.video)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from studio.generations import video


class _Container:
    """What PyAV opens: a container without a duration whose stream has no time base."""

    duration = None

    def __init__(self, stream_duration: int | None) -> None:
        stream = SimpleNamespace(
            duration=stream_duration,
            time_base=None,
            codec_context=SimpleNamespace(width=640, height=360, name="h264"),
        )
        self.streams = SimpleNamespace(video=[stream])

    def __enter__(self) -> _Container:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("stream_duration", [90_000, None])
def test_a_stream_without_a_time_base_has_an_unknown_length(monkeypatch, tmp_path, stream_duration):
    """Found by the type checker: the length was duration × time_base, and a missing time base
    raised a TypeError that probe() did not turn into NotAVideo, so the row crashed."""
    monkeypatch.setattr(video.av, "open", lambda path: _Container(stream_duration))
    facts = video.probe(tmp_path / "v.mp4")
    assert facts.seconds == 0.0
    assert (facts.width, facts.height, facts.codec) == (640, 360, "h264")


def test_a_file_that_is_not_a_video_is_refused(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(b"<html>not a video</html>")
    with pytest.raises(video.NotAVideo):
        video.probe(path)
