"""Pages leave compressed: GZip for HTML (and the live cards' fragments), nothing else.

Static files are already compressed by whitenoise, and videos, posters and ZIPs must keep their
Content-Length and byte ranges (seeking, resumed downloads), so only text/html is touched.

BREACH (guessing a secret from the compressed size of a page that also reflects the attacker's
input): the only secret in our pages is the CSRF token, and Django masks it afresh for every
response, so there is nothing fixed to guess; Django's GZipMiddleware also pads each response
with a random-length gzip header ("Heal the Breach"). Session ids and API keys never reach HTML.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


class HtmlGZipMiddleware(GZipMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
