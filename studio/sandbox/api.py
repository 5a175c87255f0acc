"""What every sandbox API call shares: the envelope, the JSON body, the token, the QPS limit, faults."""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from studio.sandbox import faults
from studio.sandbox.models import AccessToken, RequestLog

OK = 0
BAD_FORMAT = 400
BAD_TOKEN = 10400
BAD_PARAM = 40000
QPS_EXCEEDED = 40001
INTERNAL = 50000

View = Callable[..., HttpResponse]


class ApiError(Exception):
    """A business error: answered with HTTP 200 and a non-zero code, as the real service does."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def envelope(code: int = OK, msg: str = "success", data: Any = None) -> JsonResponse:
    response = JsonResponse(
        {"trace_id": secrets.token_hex(16), "code": code, "msg": msg, "data": data},
        json_dumps_params={"ensure_ascii": False},
    )
    response.sandbox_code = code  # type: ignore[attr-defined]
    return response


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(BAD_FORMAT, "传入参数格式错误: 请求体不是合法的 JSON") from None
    if not isinstance(body, dict):
        raise ApiError(BAD_FORMAT, "传入参数格式错误: 请求体必须是 JSON 对象")
    if _unstorable(body):
        raise ApiError(BAD_FORMAT, "传入参数格式错误: 请求体含有 NUL 或无效的 Unicode 字符")
    return body


def _unstorable(value: Any) -> bool:
    """A NUL or a lone surrogate anywhere: no field takes one, and PostgreSQL stores neither."""
    if isinstance(value, str):
        return "\x00" in value or not value.isascii() and not _encodes(value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def over_qps_limit() -> bool:
    limit = settings.SANDBOX_QPS_LIMIT
    if limit <= 0:
        return False
    # A fractional limit (0.5 = one call every two seconds) widens the window instead.
    window = max(1.0, 1.0 / limit)
    allowed = max(1, math.floor(limit * window))
    # The count includes the call being decided, logged just before.
    return RequestLog.counted_since(timezone.now() - timedelta(seconds=window)) > allowed


def _gate(request: HttpRequest, auth: bool) -> HttpResponse | None:
    """The checks a call meets before the endpoint runs, in the order a real gateway applies them."""
    if faults.roll(settings.SANDBOX_FAULT_502_RATE):
        return faults.gateway_error(502, "Bad Gateway", "502")
    if over_qps_limit():
        return envelope(QPS_EXCEEDED, "超出 QPS 限制")
    if auth and not AccessToken.is_valid(request.headers.get("access_token", "")):
        return envelope(BAD_TOKEN, "AccessToken 验证失败")
    if faults.roll(settings.SANDBOX_FAULT_50000_RATE):
        response = envelope(INTERNAL, "系统内部错误")
        response.sandbox_fault = "50000"  # type: ignore[attr-defined]
        return response
    return None


def api_endpoint(name: str, method: str, *, auth: bool = True) -> Callable[[View], View]:
    """Wrap a sandbox API view: log the call, apply faults and checks, turn ApiError into an envelope."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @require_http_methods([method])
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            entry = RequestLog.objects.create(endpoint=name)
            slow = faults.roll(settings.SANDBOX_FAULT_SLOW_RATE)
            if slow:
                time.sleep(settings.SANDBOX_FAULT_SLOW_SECONDS)
            response = _gate(request, auth)
            if response is None:
                try:
                    response = view(request, *args, **kwargs)
                except ApiError as error:
                    response = envelope(error.code, error.msg)
                if faults.roll(settings.SANDBOX_FAULT_TRUNCATED_RATE):
                    response = faults.truncate(response)
            entry.code = getattr(response, "sandbox_code", None) if response.status_code == 200 else None
            entry.http_status = response.status_code
            entry.fault = getattr(response, "sandbox_fault", "slow" if slow else "")
            entry.save(update_fields=["code", "http_status", "fault"])
            return response

        return wrapper

    return decorator
