"""The call journal: one ProviderCall row per attempt, tagged with what the call served."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from studio.chanjing.models import ProviderCall
from studio.chanjing.types import CallRecord

logger = logging.getLogger(__name__)

_context: ContextVar[dict[str, Any] | None] = ContextVar("chanjing_call_context", default=None)


@contextmanager
def call_context(
    *, generation_code: uuid.UUID | str | None = None, process: str | None = None
) -> Iterator[None]:
    """Tag every Chanjing call made inside the block, e.g. with the generation it serves."""
    values = dict(current_context())
    if generation_code is not None:
        values["generation_code"] = generation_code
    if process is not None:
        values["process"] = process
    reset = _context.set(values)
    try:
        yield
    finally:
        _context.reset(reset)


def current_context() -> dict[str, Any]:
    return _context.get() or {}


def default_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_call(record: CallRecord) -> None:
    """Write one ProviderCall, tagged by the enclosing `call_context`.

    A journal that fails must never break the call it records.
    """
    context = current_context()
    try:
        with transaction.atomic():
            ProviderCall.objects.create(
                endpoint=record.endpoint[:200],
                http_status=record.http_status,
                code=record.code,
                msg=record.msg,
                trace_id=record.trace_id[:100],
                latency_ms=max(0, record.latency_ms),
                ok=record.ok,
                attempt=record.attempt,
                generation_code=_as_uuid(context.get("generation_code")),
                process=str(context.get("process") or default_process())[:200],
            )
    except Exception:
        logger.exception(
            "Could not journal a Chanjing call to %s (trace_id %s)", record.endpoint, record.trace_id
        )


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
