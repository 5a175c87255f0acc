from __future__ import annotations

from django.urls import path

from studio.generations import (
    views,
    views_gallery,
    views_live,
    views_media,
    views_prompts,
    views_remix,
    views_trash,
)

app_name = "generations"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<uuid:code>/", views.project_detail, name="project"),
    path("projects/<uuid:code>/generate", views.generation_create, name="generate"),
    path("gallery/", views_gallery.mine, name="gallery"),
    path("gallery/team/", views_gallery.team, name="team_gallery"),
    path("g/<uuid:code>/", views.generation_detail, name="detail"),
    path("g/<uuid:code>/card", views.generation_card, name="card"),
    path("g/live", views_live.live_cards, name="live_cards"),
    path("g/<uuid:code>/retry", views.generation_retry, name="retry"),
    path("g/<uuid:code>/cancel", views.generation_cancel, name="cancel"),
    path("g/<uuid:code>/star", views_gallery.star, name="star"),
    path("g/<uuid:code>/remix", views_remix.remix, name="remix"),
    path("g/<uuid:code>/delete", views_trash.generation_delete, name="delete"),
    path("g/<uuid:code>/restore", views_trash.generation_restore, name="restore"),
    path("projects/<uuid:code>/delete", views_trash.project_delete, name="project_delete"),
    path("projects/<uuid:code>/restore", views_trash.project_restore, name="project_restore"),
    path("projects/<uuid:code>/archive", views_trash.project_archive, name="project_archive"),
    path("trash/", views_trash.trash, name="trash"),
    path("gallery/selected", views_trash.bulk, name="bulk"),
    path("gallery/selected.zip", views_trash.download_zip, name="download_zip"),
    path("projects/<uuid:code>/prompts/", views_prompts.prompt_library, name="prompts"),
    path("prompts/<uuid:code>/edit", views_prompts.prompt_edit, name="prompt_edit"),
    path("prompts/<uuid:code>/delete", views_prompts.prompt_delete, name="prompt_delete"),
    path("prompts/<uuid:code>/use", views_prompts.prompt_use, name="prompt_use"),
    path("callbacks/chanjing/<uuid:code>/<str:signature>", views.provider_callback, name="callback"),
    path("g/<uuid:code>/video.mp4", views_media.video, name="video"),
    path("g/<uuid:code>/poster.jpg", views_media.poster, name="poster"),
    path("g/<uuid:code>/frames/<str:which>", views_media.frame, name="frame"),
]
