"""gunicorn's configuration, read from the working directory by the image and by `make serve`.

Threaded workers (gthread): a slow client holds one thread, not a whole worker, and the
worker's main loop keeps answering the arbiter while threads stream, so `timeout` only ends a
worker that is truly stuck, never a long download. `worker_connections` equal to `threads`
makes a busy worker stop accepting, leaving new connections to a worker with a free thread.
Files go out with sendfile(), so a download costs a thread, not CPU.
Every value comes from the environment; see .env.example.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, not {raw!r}") from None


bind = f"{os.environ.get('BIND_HOST', '').strip() or '0.0.0.0'}:{_int('PORT', 8000)}"
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("WEB_THREADS", 32)
worker_connections = threads
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
# No idle keep-alive connections: each would hold one of the worker's `worker_connections`
# slots that a new client may need. A proxy in front keeps its own clients' connections alive.
keepalive = 0
# Request lines and headers stay small; uploads go through Django's own limits.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" rid=%({x-request-id}o)s'

if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # The same JSON lines as the studio's own logs; access lines carry the request id.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "studio.lib.logs.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": loglevel.upper()},
    }
