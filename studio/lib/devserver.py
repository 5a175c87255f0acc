"""A development server that keeps request headers whose names contain underscores.

Django's dev server drops such headers, because behind some proxies `access_token` and
`access-token` could be confused. Chanjing's protocol sends its token in exactly such a header
(`access_token`), so the sandbox provider could never authenticate anyone behind the stock
dev server. Only `make run` and the tests' live server use this; production runs gunicorn,
where the sandbox is refused.
"""

from __future__ import annotations

from typing import Any
from wsgiref import simple_server

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer


class UnderscoreHeadersRequestHandler(WSGIRequestHandler):
    def get_environ(self) -> dict[str, Any]:
        # Skip Django's underscore stripping; wsgiref maps `access_token` to HTTP_ACCESS_TOKEN.
        return simple_server.WSGIRequestHandler.get_environ(self)


class QuietUnderscoreHeadersRequestHandler(UnderscoreHeadersRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class UnderscoreHeadersWSGIServer(WSGIServer):
    def __init__(
        self,
        server_address: tuple[str, int],
        handler_class: type[WSGIRequestHandler],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(server_address, UnderscoreHeadersRequestHandler, *args, **kwargs)
