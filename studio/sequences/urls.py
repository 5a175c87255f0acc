from __future__ import annotations

from django.urls import path

from studio.sequences import views, views_share

app_name = "sequences"

urlpatterns = [
    path("g/<uuid:code>/continue", views.continue_shot, name="continue"),
    path("g/<uuid:code>/add-to-sequence", views.add_shot, name="add_shot"),
    path("projects/<uuid:code>/sequences/", views.sequence_list, name="list"),
    path("sequences/<uuid:code>/", views.sequence_detail, name="detail"),
    path("sequences/<uuid:code>/settings", views.sequence_settings, name="settings"),
    path("sequences/<uuid:code>/delete", views.sequence_delete, name="delete"),
    path("sequences/<uuid:code>/order", views.sequence_order, name="order"),
    path("sequences/<uuid:code>/export", views.export_create, name="export"),
    path("sequences/<uuid:code>/exports", views.export_list, name="exports"),
    path("shots/<uuid:code>/move", views.shot_move, name="move"),
    path("shots/<uuid:code>/remove", views.shot_remove, name="remove"),
    path("shots/<uuid:code>/take", views.shot_take, name="take"),
    path("exports/<uuid:code>/video.mp4", views.export_video, name="export_video"),
    path("exports/<uuid:code>/poster.jpg", views.export_poster, name="export_poster"),
    path("exports/<uuid:code>/share", views_share.create, name="share"),
    path("export-shares/<uuid:code>/revoke", views_share.revoke, name="share_revoke"),
    path("s/x/<slug:token>/", views_share.page, name="shared"),
    path("s/x/<slug:token>/video.mp4", views_share.video, name="shared_video"),
    path("s/x/<slug:token>/poster.jpg", views_share.poster, name="shared_poster"),
]
