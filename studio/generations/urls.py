from __future__ import annotations

from django.urls import path

from studio.generations import views, views_gallery, views_media, views_prompts, views_remix

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
    path("g/<uuid:code>/retry", views.generation_retry, name="retry"),
    path("g/<uuid:code>/cancel", views.generation_cancel, name="cancel"),
    path("g/<uuid:code>/star", views_gallery.star, name="star"),
    path("g/<uuid:code>/remix", views_remix.remix, name="remix"),
    path("projects/<uuid:code>/prompts/", views_prompts.prompt_library, name="prompts"),
    path("prompts/<uuid:code>/edit", views_prompts.prompt_edit, name="prompt_edit"),
    path("prompts/<uuid:code>/delete", views_prompts.prompt_delete, name="prompt_delete"),
    path("prompts/<uuid:code>/use", views_prompts.prompt_use, name="prompt_use"),
    path("callbacks/chanjing/<uuid:code>/<str:signature>", views.provider_callback, name="callback"),
    path("g/<uuid:code>/video.mp4", views_media.video, name="video"),
    path("g/<uuid:code>/poster.jpg", views_media.poster, name="poster"),
    path("g/<uuid:code>/frames/<str:which>", views_media.frame, name="frame"),
]
