"""Tasks as the API shows them, rendering the video the first time a read finds a task succeeded."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from studio.sandbox import render, storage
from studio.sandbox.frames import load_frame
from studio.sandbox.models import Task, TaskStatus

MODEL_NAME = "豆包 Seedance 1.0 Lite"


def ensure_rendered(task: Task) -> None:
    """Render the task's video and poster unless they exist. Safe to run twice at once."""
    video_rel, poster_rel = storage.output_paths(task.unique_id)
    video, poster = storage.absolute(video_rel), storage.absolute(poster_rel)
    if video is None or poster is None:
        raise ValueError(f"output path outside the sandbox media root: {video_rel}")
    if not (video.is_file() and poster.is_file()):
        params = task.params
        spec = render.VideoSpec(
            prompt=task.prompt,
            duration=params["video_duration"],
            aspect_ratio=params["aspect_ratio"],
            fps=max(1, settings.SANDBOX_VIDEO_FPS),
            long_side=max(16, settings.SANDBOX_VIDEO_WIDTH),
            start=load_frame(params["start_frame"]) if params.get("start_frame") else None,
            end=load_frame(params["end_frame"]) if params.get("end_frame") else None,
        )
        render.render(spec, video, poster)
    if task.video_path != video_rel:
        task.video_path, task.poster_path, task.rendered_at = video_rel, poster_rel, timezone.now()
        Task.objects.filter(pk=task.pk).update(
            video_path=video_rel, poster_path=poster_rel, rendered_at=task.rendered_at
        )


def output_url(request: HttpRequest, task: Task) -> str:
    return request.build_absolute_uri(reverse("sandbox:output", args=[task.unique_id, "mp4"]))


def task_data(request: HttpRequest, task: Task) -> dict[str, object]:
    """One task object with every field of the contract's table."""
    status = task.status()
    if status == TaskStatus.SUCCESS:
        ensure_rendered(task)
    params = task.params
    return {
        "id": task.pk,
        "unique_id": task.unique_id,
        "type": params["creation_type"],
        "model_code": params["model_code"],
        "model_name": MODEL_NAME,
        "progress_desc": status,
        "err_msg": task.error_message(status),
        "output_url": [output_url(request, task)] if status == TaskStatus.SUCCESS else [],
        "create_time": int(task.created_at.timestamp()),
        "aspect_ratio": params["aspect_ratio"],
        "ref_img_url": task.frames,
        "motion_info": {
            "photo_path_url": params.get("start_frame", ""),
            "ref_prompt": task.prompt,
            "clarity": params["clarity"],
            "quality_mode": "",
            "style": "",
            "aspect_ratio": params["aspect_ratio"],
            "video_duration": params["video_duration"],
        },
        "photo_info": {},
        "number_ai_creation": 1,
    }
