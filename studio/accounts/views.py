from __future__ import annotations

from axes.utils import reset as reset_lockout
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from studio.accounts.forms import SignupForm
from studio.accounts.models import User
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
        target = _next_url(request)
        # Never redirect(target): it would try the text as a URL name first.
        return HttpResponseRedirect(target) if target else redirect("generations:home")
    return render(request, "accounts/signup.html", {"form": form, "next": _next_url(request) or ""})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, plus: a new password set from the emailed link ends the account's sign-in lockout."""

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        if self.user is not None:
            reset_lockout(username=self.user.get_username())
        return response


PREFERENCE_MAX_AGE = 365 * 24 * 3600


@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Dark, light or the system's choice; remembered in a cookie read when the page is rendered."""
    choice = request.POST.get("theme", "")
    target = _next_url(request)
    response = HttpResponseRedirect(target) if target else redirect("generations:home")
    if choice in THEMES:
        response.set_cookie("theme", choice, max_age=PREFERENCE_MAX_AGE, samesite="Lax")
    return response


@require_POST
def hide_sandbox_banner(request: HttpRequest) -> HttpResponse:
    target = _next_url(request)
    response = HttpResponseRedirect(target) if target else redirect("generations:home")
    response.set_cookie("sandbox_banner", "hidden", max_age=30 * 24 * 3600, samesite="Lax")
    return response
