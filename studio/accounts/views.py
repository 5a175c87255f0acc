from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from studio.accounts.forms import SignupForm
from studio.workspaces.context_processors import THEMES


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("generations:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_next_url(request) or "generations:home")
    return render(request, "accounts/signup.html", {"form": form, "next": _next_url(request) or ""})


PREFERENCE_MAX_AGE = 365 * 24 * 3600


@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Dark, light or the system's choice; remembered in a cookie read when the page is rendered."""
    choice = request.POST.get("theme", "")
    response = redirect(_next_url(request) or "generations:home")
    if choice in THEMES:
        response.set_cookie("theme", choice, max_age=PREFERENCE_MAX_AGE, samesite="Lax")
    return response


@require_POST
def hide_sandbox_banner(request: HttpRequest) -> HttpResponse:
    response = redirect(_next_url(request) or "generations:home")
    response.set_cookie("sandbox_banner", "hidden", max_age=30 * 24 * 3600, samesite="Lax")
    return response
