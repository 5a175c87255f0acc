from __future__ import annotations

from django.urls import path

from studio.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("switch", views.switch, name="switch"),
]
