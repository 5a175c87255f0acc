from __future__ import annotations

from typing import cast

from django.conf import settings
from django.http import HttpRequest

from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership, memberships_of

THEMES = ("dark", "light", "system")


def chrome_state(request: HttpRequest) -> tuple[object, ...]:
    """Everything base.html shows around a page's content, for kept pages' keys
    (studio.generations.pages): a new field shown in the header must be added here."""
    context = workspace(request)
    current = context.get("current_membership")
    user = request.user
    return (
        getattr(user, "pk", None),
        user.get_username(),
        user.is_staff,
        context.get("memberships_state"),
        getattr(current, "workspace_id", None),
        context["theme"],
        context["sandbox_mode"],
        context["sandbox_banner_hidden"],
    )


def workspace(request: HttpRequest) -> dict[str, object]:
    # The theme and the banner come from cookies, so the first paint is already right (no flash,
    # and no inline script to fix it up); studio.js sets the same cookies when they change.
    theme = request.COOKIES.get("theme", "dark")
    context: dict[str, object] = {
        "sandbox_mode": settings.SANDBOX_MODE,
        "theme": theme if theme in THEMES else "dark",
        "sandbox_banner_hidden": request.COOKIES.get("sandbox_banner") == "hidden",
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["current_membership"] = current_membership(cast(AuthedRequest, request))
        context["my_memberships"] = mine = memberships_of(cast(AuthedRequest, request))
        # What the header's workspace switcher shows, for its cache key ({% keep "header" %}).
        context["memberships_state"] = [
            (str(m.workspace.code), m.workspace.name, m.workspace.is_personal, m.role) for m in mine
        ]
    return context
