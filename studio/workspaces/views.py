from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from studio.workspaces.access import get_membership_for_user, set_current_workspace


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    try:
        membership = get_membership_for_user(request, request.POST.get("workspace", ""))
    except ValidationError as error:  # a malformed code is an unknown workspace
        raise Http404 from error
    set_current_workspace(request, membership.workspace)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("generations:projects")
