from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from studio.generations.views_health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("studio.accounts.urls")),
    path("workspaces/", include("studio.workspaces.urls")),
    path("", include("studio.generations.urls")),
]

if apps.is_installed("studio.sandbox"):
    urlpatterns.append(path("sandbox/", include("studio.sandbox.urls")))
