from __future__ import annotations

from django.urls import path

from studio.sharing import views

app_name = "sharing"

urlpatterns = [
    path("g/<uuid:code>/share", views.create, name="create"),
    path("shares/<uuid:code>/revoke", views.revoke, name="revoke"),
    path("s/<slug:token>/", views.page, name="page"),
    path("s/<slug:token>/video.mp4", views.video, name="video"),
    path("s/<slug:token>/poster.jpg", views.poster, name="poster"),
]
