from __future__ import annotations

from typing import cast

from django.conf import settings
from django.http import HttpRequest

from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership
from studio.workspaces.models import Membership


def workspace(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {"sandbox_mode": settings.SANDBOX_MODE}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["current_membership"] = current_membership(cast(AuthedRequest, request))
        context["my_memberships"] = Membership.objects.filter(user_id=request.user.pk).select_related(
            "workspace"
        )
    return context
