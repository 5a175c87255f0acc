"""What the client leaves behind after a full flow against the sandbox: a browsable journal with
no secrets in it, logs without secrets, a rate shared by every client, and explanations that
all go through gettext."""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings

from studio.chanjing import explain as explain_module
from studio.chanjing.client import SUBMIT_PATH, TASK_PATH
from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    ChanjingError,
    ParamError,
    ServerError,
    TransportError,
    UploadRejected,
    UploadTimeout,
)
from studio.chanjing.journal import call_context
from studio.chanjing.models import ProviderCall, ProviderRateSlot
from studio.chanjing.ratelimit import DatabaseRateLimiter
from studio.chanjing.types import SubmitRequest
from studio.sandbox.models import AccessToken, UploadedFile

from .conftest import APP_ID, SECRET, journal, png

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = SubmitRequest(prompt="灯笼飘过湖面 a lantern over the lake", duration=5)


def test_no_token_or_secret_in_the_journal_the_logs_the_errors_or_the_admin(
    make_client, sb, settings, caplog, admin_client
):
    caplog.set_level(logging.DEBUG)
    cj = make_client()
    generation = uuid.uuid4()
    errors: list[ChanjingError] = []
    with call_context(generation_code=generation, process="contract-test"):
        start = cj.upload_image("start.png", png())
        unique_id = cj.submit(replace(TEXT, start_frame_url=start))
        # Another process takes the token over: 10400, refresh, retry.
        requests.post(f"{sb}/open/v1/access_token", json={"app_id": APP_ID, "secret_key": SECRET}, timeout=5)
        info = cj.task(unique_id)
        cj.download(info.video_url, io.BytesIO(), max_bytes=10_000_000)
        for prompt in ("[50000] boom", "[40001] busy"):
            with pytest.raises(ChanjingError) as caught:
                cj.submit(replace(TEXT, prompt=prompt))
            errors.append(caught.value)
        settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1
        with pytest.raises(AmbiguousSubmit) as caught:
            cj.submit(TEXT)
        errors.append(caught.value)
        settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0
    settings.SANDBOX_SECRET_KEY = "rotated"
    with pytest.raises(AuthError) as caught:
        _fresh_token_fetch(make_client)
    errors.append(caught.value)

    secrets = [SECRET, *AccessToken.objects.values_list("token", flat=True)]
    assert len(secrets) >= 4  # the secret and at least three tokens were in play
    signatures = _upload_signatures()
    rows = list(ProviderCall.objects.all())
    assert {row.generation_code for row in rows} >= {generation}
    journal_text = "\n".join(
        " ".join(str(getattr(row, field.name)) for field in ProviderCall._meta.fields) for row in rows
    )
    admin_pages = "".join(
        admin_client.get(url).content.decode()
        for url in (
            "/admin/chanjing/providercall/",
            f"/admin/chanjing/providercall/{rows[0].pk}/change/",
            "/admin/chanjing/providertoken/",
        )
    )
    error_text = "\n".join(f"{error!s} {error!r}" for error in errors)
    for text in (journal_text, caplog.text, admin_pages, error_text):
        for secret in secrets + signatures:
            assert secret not in text
    assert "retry 1 of 3" in caplog.text  # the logs did record the retries
    assert errors[0].trace_id in admin_pages or errors[0].trace_id in journal_text


def _fresh_token_fetch(make_client) -> None:
    from studio.chanjing.models import ProviderToken

    ProviderToken.objects.update(token="", expires_at=None)
    make_client().access_token()


def _upload_signatures() -> list[str]:
    """The presigned PUT URLs' signatures: credentials for their lifetime."""
    from studio.sandbox.views import _signature

    return [_signature(file_id) for file_id in UploadedFile.objects.values_list("file_id", flat=True)]


def test_admins_can_browse_and_search_the_journal(cj, admin_client, client, django_user_model):
    unique_id = cj.submit(TEXT)
    cj.task(unique_id)
    trace_id = journal(TASK_PATH)[0].trace_id

    listing = admin_client.get("/admin/chanjing/providercall/", {"q": trace_id})
    assert listing.status_code == 200
    assert trace_id in listing.content.decode() and listing.context["cl"].result_count == 1
    by_endpoint = admin_client.get("/admin/chanjing/providercall/", {"endpoint": SUBMIT_PATH})
    assert by_endpoint.context["cl"].result_count == 1
    assert admin_client.post("/admin/chanjing/providercall/add/").status_code == 403

    staff = django_user_model.objects.create_user("staff", "s@example.com", "pw-123456789", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/chanjing/providercall/").status_code == 403  # no view permission


def test_the_clients_rate_limit_is_shared_and_keeps_the_deployment_under_the_provider_limit(
    make_client, settings
):
    # Two clients, as two processes would build them, sharing one slot row.
    settings.CHANJING_RATE_LIMIT = 8
    first, second = make_client(max_retries=0), make_client(max_retries=0)
    assert isinstance(first.rate_limiter, DatabaseRateLimiter) and first.rate_limiter.rate_per_second == 8
    first.access_token()
    settings.SANDBOX_QPS_LIMIT = 12

    started = time.monotonic()
    for index in range(8):
        (first, second)[index % 2].tasks([])
    elapsed = time.monotonic() - started

    assert elapsed >= 7 / 8 - 0.05  # eight slots 1/8 s apart, whichever client took them
    assert [call.code for call in journal("/open/v1/ai_creation/task/page")] == [0] * 8
    assert ProviderRateSlot.objects.get(key="chanjing").next_free_at >= time.time() - 1


EXPLAINED = [
    ServerError("扣费失败", code=50000),
    UploadRejected("x", file_status=98),
    UploadRejected("x", file_status=99),
    UploadTimeout("x"),
    AmbiguousSubmit("x"),
    TransportError("x"),
    TransportError("x", retryable=False),
    ParamError("x"),
    AuthError("x"),
    ChanjingError("x", code=400),
    ChanjingError("x", code=10400),
    ChanjingError("参数错误: clarity", code=40000),
    ChanjingError("x", code=40001),
    ChanjingError("模型不存在", code=50000),
    ChanjingError("x", code=50000),
    ChanjingError("x", code=12345),
]


def test_every_explanation_is_a_gettext_msgid(monkeypatch):
    msgids: list[str] = []

    def fake_gettext(message: str) -> str:
        msgids.append(message)
        return "«" + message + "»"

    monkeypatch.setattr(explain_module, "_", fake_gettext)
    shown = [explain_module.explain(error) for error in EXPLAINED]
    shown += [explain_module.explain(msg=msg) for msg in ("内容审核未通过", "生成失败", "")]

    assert all(text.startswith("«") for text in shown), shown
    assert len(set(msgids)) == _source_msgid_count()  # every explanation the module has was reached
    # The raw provider message is kept beside the words where it helps the person.
    assert "参数错误: clarity" in shown[11]


def _source_msgids() -> list[str]:
    source = Path(explain_module.__file__).read_text()
    return [_join(match) for match in re.findall(r'_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', source)]


def _source_msgid_count() -> int:
    return len(set(_source_msgids()))


def test_every_explanation_has_a_chinese_translation():
    po = Path(django_settings.BASE_DIR) / "studio" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    if not po.exists():
        pytest.skip("the Chinese catalogue is not in this tree yet")
    msgids = _source_msgids()
    catalogue = _catalogue(po.read_text())
    missing = [msgid for msgid in msgids if not catalogue.get(msgid)]
    assert not missing, missing


def _join(literals: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', literals))


def _catalogue(text: str) -> dict[str, str]:
    entries = {}
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if msgid and msgstr and "#, fuzzy" not in block:
            entries[_join(msgid.group(1))] = _join(msgstr.group(1))
    return entries
