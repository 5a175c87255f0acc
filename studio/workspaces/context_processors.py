from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from studio.workspaces.access import current_membership
from studio.workspaces.models import Membership

THEMES = ("dark", "light", "system")


def workspace(request: HttpRequest) -> dict:
    # The theme and the banner come from cookies, so the first paint is already right (no flash,
    # and no inline script to fix it up); studio.js sets the same cookies when they change.
    theme = request.COOKIES.get("theme", "dark")
    context = {
        "sandbox_mode": settings.SANDBOX_MODE,
        "theme": theme if theme in THEMES else "dark",
        "sandbox_banner_hidden": request.COOKIES.get("sandbox_banner") == "hidden",
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["current_membership"] = current_membership(request)
        context["my_memberships"] = Membership.objects.filter(user=request.user).select_related("workspace")
    return context
