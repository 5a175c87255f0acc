"""`runserver` that keeps the `access_token` header the sandbox provider needs (see studio.lib.devserver)."""

from __future__ import annotations

from whitenoise.runserver_nostatic.management.commands.runserver import Command as RunserverCommand

from studio.lib.devserver import UnderscoreHeadersWSGIServer


class Command(RunserverCommand):
    help = "Development web server (runserver) that passes Chanjing's access_token header through."
    server_cls = UnderscoreHeadersWSGIServer
