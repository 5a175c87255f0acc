from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from studio.workspaces.access import current_membership
from studio.workspaces.models import Membership


def workspace(request: HttpRequest) -> dict:
    context = {"sandbox_mode": settings.SANDBOX_MODE}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["current_membership"] = current_membership(request)
        context["my_memberships"] = Membership.objects.filter(user=request.user).select_related("workspace")
    return context
