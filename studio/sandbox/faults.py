"""Misbehaviour on demand: the failures a real provider and its gateways produce, driven by settings.

Each SANDBOX_FAULT_*_RATE is a probability from 0 to 1. Tests seed `rng` or use a rate of 1.0.
"""

from __future__ import annotations

import random

from django.http import HttpResponse

rng = random.Random()

_GATEWAY_PAGE = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx (sandbox)</center>
</body>
</html>
"""


def roll(rate: float) -> bool:
    return rate > 0 and rng.random() < rate


def gateway_error(status: int, reason: str, fault: str) -> HttpResponse:
    """The HTML page a load balancer answers when the service behind it fails."""
    response = HttpResponse(_GATEWAY_PAGE.format(status=status, reason=reason), status=status)
    response.sandbox_fault = fault  # type: ignore[attr-defined]
    return response


def truncate(response: HttpResponse) -> HttpResponse:
    """Cut a JSON answer in half, as a connection dropped mid-body would; the status stays 200."""
    content = response.content
    response.content = content[: max(1, len(content) // 2)]
    response.sandbox_fault = "truncated"  # type: ignore[attr-defined]
    return response
