"""A strict Content-Security-Policy on every response: scripts only from our own static files."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy())
        return response


def policy() -> str:
    """The configured policy; with media in a bucket, images and videos may load from it too
    (media views redirect there, and a redirect must satisfy img-src and media-src)."""
    origin = settings.MEDIA_STORAGE_ORIGIN
    if not origin:
        return settings.CONTENT_SECURITY_POLICY
    directives = []
    for directive in settings.CONTENT_SECURITY_POLICY.split(";"):
        name = directive.split()[0] if directive.split() else ""
        directives.append(f"{directive.rstrip()} {origin}" if name in {"img-src", "media-src"} else directive)
    return ";".join(directives)
