"""Middleware for running as a service: a request id on every request, and a health probe that
answers before host checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from studio.lib.logs import current_request_id

# A proxy's id is kept when it looks like one; anything else is replaced, never logged.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEALTH_PATH = "/healthz"


class RequestIdMiddleware:
    """Tags the request, its log lines and its response (X-Request-ID) with one id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class HealthProbeMiddleware:
    """Answers GET /healthz before CommonMiddleware validates the Host header.

    A load balancer or container runtime probes by IP address over plain HTTP, with a Host
    that is not in ALLOWED_HOSTS. SecurityMiddleware, earlier, already exempts the path from
    the HTTPS redirect (SECURE_REDIRECT_EXEMPT). Only this exact path and method skip the
    check, and the answer (database up or down) never reads the Host header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method == "GET":
            from studio.generations.views_health import healthz

            return healthz(request)
        return self.get_response(request)
