from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from studio.generations.views_health import healthz
from studio.usage.monitor import status_json

admin.site.site_header = _("Seedance Studio admin")
admin.site.site_title = _("Seedance Studio admin")
admin.site.index_title = _("Studio administration")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/status.json", status_json, name="healthz_status"),
    # Staff pages beside the admin (usage review, system status); before the admin's catch-all.
    path("admin/", include("studio.usage.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("studio.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("workspaces/", include("studio.workspaces.urls")),
    path("", include("studio.generations.urls")),
    path("", include("studio.sharing.urls")),
    path("", include("studio.sequences.urls")),
]

if apps.is_installed("studio.sandbox"):
    urlpatterns.append(path("sandbox/", include("studio.sandbox.urls")))

if settings.BENCH_FLOOR_VIEW:
    from studio.generations.views_floor import floor

    urlpatterns.append(path("bench/floor/", floor, name="bench_floor"))
