"""Request types the views can rely on, so the type checker knows what middleware added."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from studio.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request: django-htmx's middleware has set `request.htmx`."""

    htmx: HtmxDetails


class AuthedRequest(HtmxHttpRequest):
    """A request behind `@login_required`: the user is a signed-in person, never anonymous."""

    user: User
