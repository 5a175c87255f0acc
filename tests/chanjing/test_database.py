from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from studio.chanjing.client import SUBMIT_PATH, TASK_PATH, TOKEN_PATH, ChanjingClient
from studio.chanjing.errors import AuthError, ServerError, TransportError
from studio.chanjing.factory import get_client, token_status
from studio.chanjing.journal import call_context, record_call
from studio.chanjing.models import ProviderCall, ProviderRateSlot, ProviderToken
from studio.chanjing.ratelimit import DatabaseRateLimiter
from studio.chanjing.tokens import DatabaseTokenStore
from studio.chanjing.types import CallRecord, SubmitRequest

from .conftest import BASE, SECRET, envelope, token_body

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000.0


class Fetcher:
    def __init__(self, ttl: int = 86400) -> None:
        self.tokens: list[str] = []
        self.ttl = ttl

    def __call__(self) -> tuple[str, int]:
        self.tokens.append(f"db-tok-{len(self.tokens) + 1}")
        return self.tokens[-1], int(NOW) + self.ttl


def store_at(now: float) -> DatabaseTokenStore:
    return DatabaseTokenStore(BASE, "app", refresh_margin=300, clock=lambda: now)


def test_the_token_is_fetched_once_and_kept_in_one_row():
    fetch = Fetcher()
    assert store_at(NOW).get_token(fetch) == "db-tok-1"
    assert store_at(NOW + 60).get_token(fetch) == "db-tok-1"
    assert fetch.tokens == ["db-tok-1"]
    row = ProviderToken.objects.get()
    assert row.expires_at == datetime.fromtimestamp(int(NOW) + 86400, tz=UTC)


def test_the_refresh_margin_is_respected():
    fetch = Fetcher(ttl=1000)
    store_at(NOW).get_token(fetch)
    assert store_at(NOW + 1000 - 301).get_token(fetch) == "db-tok-1"
    assert store_at(NOW + 1000 - 299).get_token(fetch) == "db-tok-2"
    assert ProviderToken.objects.count() == 1


def test_a_token_living_less_than_the_margin_is_kept_for_half_its_life():
    fetch = Fetcher(ttl=60)  # a sandbox with SANDBOX_TOKEN_TTL=60, margin 300
    store_at(NOW).get_token(fetch)
    assert store_at(NOW + 29).get_token(fetch) == "db-tok-1"
    assert store_at(NOW + 31).get_token(fetch) == "db-tok-2"


def test_a_rejected_token_is_refreshed_once_when_two_workers_race():
    fetch = Fetcher()
    stale = store_at(NOW).get_token(fetch)
    # Both workers saw `stale` rejected; the first refreshes, the second finds the new one.
    first = store_at(NOW).get_token(fetch, force_refresh_of=stale)
    second = store_at(NOW).get_token(fetch, force_refresh_of=stale)
    assert first == second == "db-tok-2"
    assert fetch.tokens == ["db-tok-1", "db-tok-2"]


def test_a_failed_fetch_leaves_the_stored_token_alone_and_frees_the_lease():
    store_at(NOW).get_token(Fetcher())

    def broken() -> tuple[str, int]:
        raise AuthError("refused")

    with pytest.raises(AuthError):
        store_at(NOW).get_token(broken, force_refresh_of="db-tok-1")
    row = ProviderToken.objects.get()
    assert row.token == "db-tok-1" and row.refresh_lease_until is None
    assert store_at(NOW).get_token(Fetcher(), force_refresh_of="db-tok-1") == "db-tok-1"


def test_a_process_waits_for_the_lease_holder_instead_of_fetching():
    store_at(NOW - 86_300).get_token(Fetcher(ttl=100))  # a day old, now inside the refresh margin
    lease_until = datetime.fromtimestamp(NOW + 30, tz=UTC)
    ProviderToken.objects.update(refresh_lease_until=lease_until)
    fetch = Fetcher()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        # Meanwhile the lease holder finishes its refresh.
        waits.append(seconds)
        if len(waits) == 3:
            fresh_until = datetime.fromtimestamp(NOW + 86400, tz=UTC)
            ProviderToken.objects.update(
                token="from-the-holder", expires_at=fresh_until, refresh_lease_until=None
            )

    store = DatabaseTokenStore(BASE, "app", refresh_margin=300, clock=lambda: NOW, sleep=sleep)
    assert store.get_token(fetch) == "from-the-holder"
    assert fetch.tokens == [] and len(waits) == 3


def test_a_lapsed_lease_is_taken_over():
    store_at(NOW - 86_300).get_token(Fetcher(ttl=100))  # a day old, now inside the refresh margin
    ProviderToken.objects.update(refresh_lease_until=datetime.fromtimestamp(NOW - 1, tz=UTC))
    fetch = Fetcher()
    assert store_at(NOW).get_token(fetch) == "db-tok-1"
    assert fetch.tokens == ["db-tok-1"]
    assert ProviderToken.objects.get().refresh_lease_until is None


def test_waiting_for_a_stuck_lease_gives_up():
    store_at(NOW - 86_300).get_token(Fetcher(ttl=100))  # a day old, now inside the refresh margin
    ProviderToken.objects.update(refresh_lease_until=datetime.fromtimestamp(NOW + 10_000, tz=UTC))
    now = [NOW]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    store = DatabaseTokenStore(
        BASE, "app", lease_seconds=5, poll_interval=1, clock=lambda: now[0], sleep=sleep
    )
    with pytest.raises(TransportError, match="refreshing"):
        store.get_token(Fetcher())


@pytest.mark.django_db(transaction=True)
def test_the_token_call_runs_outside_any_transaction():
    """On SQLite a transaction held across the call would lock out the sandbox provider."""
    seen = []

    def fetch() -> tuple[str, int]:
        seen.append(connection.in_atomic_block)
        return "tok", int(NOW) + 86400

    store_at(NOW).get_token(fetch)
    store_at(NOW).get_token(fetch, force_refresh_of="tok")
    assert seen == [False, False]


def test_one_row_per_account():
    ProviderToken.objects.create(base_url=BASE, app_id="app")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderToken.objects.create(base_url=BASE, app_id="app")


def test_client_with_the_database_store_and_journal(rsps):
    rsps.post(BASE + TOKEN_PATH, json=token_body("tok-A"))
    rsps.post(BASE + TOKEN_PATH, json=token_body("tok-B"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=10400, msg="token tok-A expired", trace_id="t1"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope("uid-1", trace_id="t2"))
    client = ChanjingClient(
        BASE,
        "app",
        SECRET,
        token_store=DatabaseTokenStore(BASE, "app"),
        journal=record_call,
        sleep=lambda seconds: None,
    )
    code = uuid.uuid4()
    with call_context(generation_code=code, process="test-poller"):
        assert client.submit(SubmitRequest(prompt="a cat", duration=5)) == "uid-1"

    assert ProviderToken.objects.get().token == "tok-B"
    calls = list(ProviderCall.objects.order_by("id"))
    assert [call.endpoint for call in calls] == [TOKEN_PATH, SUBMIT_PATH, TOKEN_PATH, SUBMIT_PATH]
    assert [call.trace_id for call in calls if call.endpoint == SUBMIT_PATH] == ["t1", "t2"]
    assert all(call.generation_code == code and call.process == "test-poller" for call in calls)
    assert calls[1].code == 10400 and not calls[1].ok and calls[3].ok
    for call in calls:
        for secret in (SECRET, "tok-A", "tok-B"):
            assert secret not in call.msg


def test_record_call_without_context_names_the_process():
    record_call(CallRecord(TASK_PATH, 200, 0, "success", "tr", 12, True, 1))
    call = ProviderCall.objects.get()
    assert call.generation_code is None and ":" in call.process and call.latency_ms == 12


def test_call_context_nests_and_resets():
    outer, inner = uuid.uuid4(), uuid.uuid4()
    with call_context(generation_code=outer, process="web"):
        with call_context(generation_code=inner):
            record_call(CallRecord(TASK_PATH, 200, 0, "", "a", 1, True, 1))
        record_call(CallRecord(TASK_PATH, 200, 0, "", "b", 1, True, 1))
    with call_context(generation_code="not-a-uuid"):
        record_call(CallRecord(TASK_PATH, 200, 0, "", "c", 1, True, 1))
    rows = {call.trace_id: call for call in ProviderCall.objects.all()}
    assert rows["a"].generation_code == inner and rows["a"].process == "web"
    assert rows["b"].generation_code == outer
    assert rows["c"].generation_code is None and rows["c"].process != "web"


def test_a_failing_journal_write_is_logged_not_raised(caplog, monkeypatch):
    def boom(*args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(ProviderCall.objects, "create", boom)
    with transaction.atomic():
        record_call(CallRecord(TASK_PATH, 200, 0, "", "tr-x", 1, True, 1))
        ProviderToken.objects.create(base_url=BASE, app_id="still-usable")
    assert "tr-x" in caplog.text


def test_the_rate_limiter_spaces_calls():
    now = [NOW]
    sleeps: list[float] = []
    limiter = DatabaseRateLimiter(2, sleep=sleeps.append, clock=lambda: now[0])
    for _ in range(3):
        limiter.acquire()
    assert sleeps == pytest.approx([0.5, 1.0])
    now[0] += 10
    limiter.acquire()
    assert sleeps == pytest.approx([0.5, 1.0])
    assert ProviderRateSlot.objects.get().next_free_at == pytest.approx(NOW + 10.5)


def test_a_zero_rate_disables_the_limiter():
    sleeps: list[float] = []
    DatabaseRateLimiter(0, sleep=sleeps.append).acquire()
    assert sleeps == [] and not ProviderRateSlot.objects.exists()


def test_the_factory_builds_a_client_from_settings(settings, rsps):
    settings.CHANJING_BASE_URL = BASE
    settings.CHANJING_APP_ID = "app"
    settings.CHANJING_SECRET_KEY = SECRET
    settings.CHANJING_MAX_RETRIES = 1
    settings.CHANJING_RATE_LIMIT = 0
    settings.CHANJING_FRAME_MODE = "list"
    settings.CHANJING_READ_TIMEOUT = 9.0
    client = get_client()
    assert (client.base_url, client.max_retries, client.frame_mode, client.timeout[1]) == (
        BASE,
        1,
        "list",
        9.0,
    )

    assert token_status()["expires_at"] is None
    rsps.post(BASE + TOKEN_PATH, json=token_body("tok-Z"))
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=50000, msg="系统内部错误"))
    client.sleep = lambda seconds: None
    with pytest.raises(ServerError):
        client.task("uid")
    assert ProviderCall.objects.filter(endpoint=TASK_PATH).count() == 2

    status = token_status()
    assert status["expires_at"] is not None and status["base_url"] == BASE
    assert status["mode"] in ("live", "sandbox")
    assert "tok-Z" not in repr(status)


def test_the_admin_is_read_only_and_never_shows_the_token(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    call_admin = admin.site._registry[ProviderCall]
    token_admin = admin.site._registry[ProviderToken]
    for model_admin in (call_admin, token_admin):
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
    token_admin_fields = (
        list(token_admin.list_display)
        + list(token_admin.get_fields(request))
        + list(token_admin.search_fields or [])
    )
    assert "token" not in token_admin_fields
    assert call_admin.date_hierarchy == "created_at"
