"""No request, however hostile, makes the studio answer 500 or log a traceback.

The sweep walks every pattern in Django's URL resolver (the studio's, the admin's and the
sandbox's) and sends each one extreme values: in the path, the query string, a form body and a
JSON body, with a Range header on every GET. Values are drawn from HOSTILE with a fixed seed,
so a failure names the request that caused it and repeats on the next run. The default run
sends a few hundred requests; HOSTILE_SWEEP_ROUNDS=10 sends ten times as many, each round with
its own seed.

A second, Hypothesis-driven test throws generated values at the parsers most exposed to the
public (Range, the gallery filters, the usage review, the sandbox API).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.sandbox.models import AccessToken, Task, UploadedFile
from tests.test_url_permissions import TABLE, World, world_fixture  # noqa: F401  (the `world` fixture)

pytestmark = pytest.mark.django_db

DIGITS = "9" * 5000
# Values for query strings, which a production server caps at about 4 KB (see RequestLimits).
HOSTILE: list[str] = [
    "9" * 200,
    "-" + "9" * 200,
    "1e400",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "0000-00-00",
    "\x00",
    "abc\x00def",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "x" * 300,
    "灯笼" * 20,
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "",
    " ",
    "-1",
    "NaN",
    "../../../../etc/passwd",
    "%",
    "%ff%fe",
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}",
    "true",
    "[]",
]
# Raw bytes that are not UTF-8, as a WSGI server hands them over (each latin-1 char is one byte).
NOT_UTF8 = "\xff\xfe\xc3\x28"
JSON_VALUES: list[str] = [
    DIGITS,
    "-" + DIGITS,
    "1e400",
    "[]",
    "[1, 2, 3]",
    '["a", "b"]',
    "{}",
    '{"a": {"b": []}}',
    "null",
    "true",
    "-1",
    '"\\u0000"',
    '"abc\\u0000def"',
    '"\\ud800"',
    json.dumps("x" * 20_000),
    json.dumps("9999-12-31"),
    json.dumps("0001-01-01"),
    json.dumps("not-a-uuid"),
    json.dumps("é中文"),
]
# Bodies have no such cap.
LONG: list[str] = [DIGITS, "-" + DIGITS, "x" * 20_000, "灯笼" * 3000]
RANGES = [
    f"bytes={DIGITS}-",
    f"bytes=0-{DIGITS}",
    f"bytes=-{DIGITS}",
    f"bytes={DIGITS}-{DIGITS}",
    "bytes=0-0,1-1,2-2",
    "bytes=\x00-1",
    "bytes=-0",
    "bytes=5-1",
]
# The keys the studio's pages and the sandbox's API read: every hostile query and body carries
# all of them, plus the model admin's filters where there is one and a few of EXTRA_KEYS.
KEYS = [
    "q", "workspace", "project", "status", "creator", "ratio", "date_from", "date_to", "starred",
    "order", "after", "next", "start", "end", "period", "group", "expires_in", "role", "language",
    "unique_id", "unique_ids", "id", "service", "name", "page", "page_size", "type", "is_success",
    "app_id", "secret_key", "signature", "o", "p", "e", "_to_field", "verify",
]  # fmt: skip
EXTRA_KEYS = [
    "prompt", "aspect_ratio", "clarity", "duration", "takes", "remix_of", "keep_start_frame",
    "keep_end_frame", "prompt_name", "submit_token", "description", "text", "email", "hide_prompt",
    "username", "password", "password1", "password2", "old_password", "new_password1",
    "new_password2", "ref_prompt", "model_code", "creation_type", "video_duration", "ref_img_url",
    "start_frame", "end_frame", "callback", "all", "_popup", "_changelist_filters", "action",
    "_selected_action", "select_across", "index", "post", "app_label", "model_name", "field_name",
    "term", "workspace_id", "user", "created_by", "generation", "is_personal", "token",
]  # fmt: skip


def _admin_keys(model_admin: admin.ModelAdmin[Any]) -> list[str]:
    """The change-list filters a model admin understands, as the query string names them."""
    keys = []
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            keys += [entry, f"{entry}__exact", f"{entry}__id__exact", f"{entry}__gte", f"{entry}__lt"]
            keys += [f"{entry}__isnull"]
    if model_admin.date_hierarchy:
        keys += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return keys


@dataclass
class Target:
    """One concrete URL, how it was built (so a hostile path can replace each argument)."""

    label: str
    url: str
    arguments: dict[str, str]
    keys: list[str]
    # The admin's history and "go to the change page" views only read: one GET is enough; its
    # history and delete pages share the change page's object lookup, hostile ids included.
    reads_only: bool = False
    hostile_path: bool = True


def _patterns(
    patterns: Any, namespace: str = "", chain: tuple[Any, ...] = ()
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner, (*chain, pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", (*chain, pattern.pattern)


_ROUTE_ARG = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_ARG = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _fill(chain: tuple[Any, ...], values: dict[str, str]) -> str:
    """The path of a pattern chain with each argument replaced by its value."""
    path = ""
    for piece in chain:
        text = str(piece)
        if _REGEX_ARG.search(text) or text.startswith("^"):
            text = _REGEX_ARG.sub(lambda m: values[m.group(1)], text.strip("^$")).replace("\\.", ".")
        else:
            text = _ROUTE_ARG.sub(lambda m: values[m.group(1)], text)
        path += text
    return "/" + path


def _targets(world: World) -> list[Target]:
    task = Task.objects.first()
    upload = UploadedFile.objects.first()
    registry = {(m._meta.app_label, m._meta.model_name): ma for m, ma in admin.site._registry.items()}
    targets = []
    for name, chain in _patterns(get_resolver().url_patterns):
        route = "".join(str(piece) for piece in chain)
        keys = list(KEYS)
        if name in TABLE:
            reversed_url = reverse(name, args=TABLE[name]["args"](world))
            resolved_kwargs = {k: str(v) for k, v in _kwargs_of(reversed_url).items()}
            targets.append(Target(name, reversed_url, resolved_kwargs, keys))
            continue
        assert upload is not None and task is not None
        values: dict[str, str] = {
            "app_label": "generations",
            "url": "nowhere/at/all",
            "id": str(world.team["owner"].pk),
            "content_type_id": "1",
            "object_id": "1",
            "file_id": upload.file_id,
            "name": upload.name,
            "unique_id": task.unique_id,
            "ext": "mp4",
        }
        match = re.match(r"admin/(\w+)/(\w+)/", route)
        if match and (match.group(1), match.group(2)) in registry:
            model_admin = registry[(match.group(1), match.group(2))]
            keys += _admin_keys(model_admin)
            instance = model_admin.model._default_manager.first()
            if instance is not None:
                values["object_id"] = str(instance.pk)
        arguments = {key: values[key] for key in [*_ROUTE_ARG.findall(route), *_REGEX_ARG.findall(route)]}
        reads_only = route.endswith("/history/") or name == "admin:None"
        hostile_path = not (reads_only or route.endswith("/delete/"))
        url = _fill(chain, values)
        targets.append(Target(f"{name} {route}", url, arguments, keys, reads_only, hostile_path))
    return targets


def _kwargs_of(url: str) -> dict[str, Any]:
    from django.urls import resolve

    match = resolve(url)
    return {**match.kwargs, **{str(i): arg for i, arg in enumerate(match.args)}}


def _pairs(rng: random.Random, keys: list[str], values: list[str]) -> list[str]:
    """key=value pairs for every key and a few extra ones; some keys twice (a list where one value
    belongs), one value as raw bytes that are not UTF-8."""
    parts = []
    for key in [*keys, *rng.sample(EXTRA_KEYS, k=5)]:
        for _ in range(rng.choice([1, 1, 1, 2])):
            encoded = quote(rng.choice(values).encode("utf-8", "surrogatepass"), safe="")
            parts.append(f"{quote(key)}={encoded}")
    parts.append(f"{rng.choice(keys)}={NOT_UTF8}")
    return parts


def _query(rng: random.Random, keys: list[str]) -> str:
    return "&".join(_pairs(rng, keys, HOSTILE))


def _form(rng: random.Random, keys: list[str]) -> bytes:
    return "&".join(_pairs(rng, keys, HOSTILE + LONG)).encode("latin-1")


def _json(rng: random.Random, keys: list[str]) -> bytes:
    members = [f"{json.dumps(key)}: {rng.choice(JSON_VALUES)}" for key in [*keys, *rng.sample(EXTRA_KEYS, 5)]]
    return ("{" + ", ".join(members) + "}").encode("utf-8", "surrogatepass")


def _hostile_path(target: Target, rng: random.Random) -> str:
    url = target.url
    for value in target.arguments.values():
        replacement = rng.choice([DIGITS, "%00", "not-a-uuid", "%ff%fe", "x" * 3000, "..%2F..%2F"])
        url = url.replace(value, replacement, 1)
    return url


@pytest.fixture
def hostile_world(world, sandbox_rows) -> World:
    """The URL permission test's world (one of everything), with the owner as staff too."""
    owner = world.team["owner"]
    owner.is_staff = owner.is_superuser = True  # the admin's pages too
    owner.save()
    world.sandbox_token = sandbox_rows
    return world


@pytest.fixture
def sandbox_rows(settings):
    from tests.sandbox.quiet import quiet_sandbox

    quiet_sandbox(settings, seed=0)
    token = AccessToken.issue(settings.SANDBOX_APP_ID).token
    Task.objects.create(body={}, prompt="a kite", params={"creation_type": 4}, behaviour="normal")
    UploadedFile.objects.create(service="ai_creation", name="frame.png", mime_type="image/png")
    return token


class ServerErrors(logging.Handler):
    """Collects every error logged while a request runs.

    Django's own `django.security.*` records are left out: they are the 400s it answers to a
    suspicious request (an admin lookup on a field that may not be filtered), logged on purpose
    so that probing shows in the logs.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("django.security."):
            self.records.append(record)


@pytest.fixture
def server_errors():
    handler = ServerErrors()
    logger = logging.getLogger()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _send(client: Client, method: str, url: str, **extra) -> int:
    with transaction.atomic():
        response = client.get(url, **extra) if method == "GET" else client.post(url, **extra)
        transaction.set_rollback(True)
    return response.status_code


def _client(world: World) -> Client:
    """A client that reports a crash as the 500 a visitor would see, with the sandbox's token."""
    return Client(raise_request_exception=False, HTTP_ACCESS_TOKEN=getattr(world, "sandbox_token", ""))


def _signed_in(world: World) -> Client:
    from studio.workspaces.access import SESSION_KEY

    client = _client(world)
    client.force_login(world.team["owner"])
    session = client.session
    session[SESSION_KEY] = str(world.team["workspace"].code)
    session.save()
    return client


def _sweep(world: World, server_errors: ServerErrors, seed: int) -> tuple[int, list[str]]:
    rng = random.Random(seed)
    anonymous = _client(world)
    failures: list[str] = []
    sent = 0
    for target in _targets(world):
        who = "anonymous" if rng.random() < 0.2 else "owner"
        requests: list[tuple[str, str, dict[str, Any]]] = [
            ("GET", target.url, {"QUERY_STRING": _query(rng, target.keys), "HTTP_RANGE": rng.choice(RANGES)}),
        ]
        if rng.random() < 0.5:
            body = {"data": _form(rng, target.keys), "content_type": "application/x-www-form-urlencoded"}
        else:
            body = {"data": _json(rng, target.keys), "content_type": "application/json"}
        if not target.reads_only:
            requests.append(("POST", target.url, body))
        if target.arguments and target.hostile_path:
            requests.append(("GET", _hostile_path(target, rng), {"HTTP_RANGE": rng.choice(RANGES)}))
        for method, url, extra in requests:
            # A fresh sign-in each time: an earlier request may have signed out (or been the logout).
            client = anonymous if who == "anonymous" else _signed_in(world)
            server_errors.records.clear()
            status = _send(client, method, url, **extra)
            sent += 1
            if status >= 500 or server_errors.records:
                logged = "; ".join(
                    f"{r.getMessage()[:200]} {r.exc_info[1]!r:.300}" if r.exc_info else r.getMessage()[:200]
                    for r in server_errors.records
                )
                shown = {k: (v[:120] if isinstance(v, str | bytes) else v) for k, v in extra.items()}
                failures.append(f"{method} {url[:160]} as {who} [{target.label}]: {status} {shown} {logged}")
    return sent, failures


def test_no_request_to_any_url_causes_a_server_error(hostile_world, server_errors):
    rounds = int(os.environ.get("HOSTILE_SWEEP_ROUNDS", "1"))
    total, failures = 0, []
    for seed in range(rounds):
        sent, found = _sweep(hostile_world, server_errors, seed)
        total += sent
        failures += found
    assert total > 300, total
    assert not failures, f"{len(failures)} of {total} requests failed:\n" + "\n".join(failures)


# --- The most exposed parsers, driven by Hypothesis -------------------------------------------

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=50),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.dates().map(str),
)


@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    range_header=st.one_of(st.sampled_from(RANGES), st.from_regex(r"bytes=[0-9]{0,40}-[0-9]{0,40}")),
    filters=st.dictionaries(
        st.sampled_from(["q", "date_from", "date_to", "project", "after", "start", "end", "period"]),
        hostile_text,
        max_size=4,
    ),
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | hostile_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
        max_leaves=8,
    ),
)
def test_exposed_parsers_never_fail(hostile_world, server_errors, range_header, filters, body):
    world = hostile_world
    client = _client(world)
    client.force_login(world.team["owner"])
    anonymous = _client(world)
    # Percent-encoded as a client would send them, lone surrogates included (as bytes that are not UTF-8).
    query = urlencode(filters, errors="surrogatepass")
    requests = [
        (anonymous, "GET", reverse("sharing:video", args=[world.share.token]), {"HTTP_RANGE": range_header}),
        (client, "GET", reverse("generations:gallery"), {"QUERY_STRING": query}),
        (client, "GET", reverse("usage:review"), {"QUERY_STRING": query}),
        (
            anonymous,
            "POST",
            "/sandbox/open/v1/ai_creation/task/page",
            {"data": json.dumps(body), "content_type": "application/json"},
        ),
        (
            anonymous,
            "POST",
            "/sandbox/open/v1/access_token",
            {"data": json.dumps(body), "content_type": "application/json"},
        ),
    ]
    for who, method, url, extra in requests:
        server_errors.records.clear()
        status = _send(who, method, url, **extra)
        assert status < 500 and not server_errors.records, (method, url, extra, server_errors.records)


# --- The 500s a hostile-input run against a live studio found, one by one ---------------------


def test_a_range_header_with_a_5000_digit_number_is_answered_through_a_share_link(hostile_world):
    video = reverse("sharing:video", args=[hostile_world.share.token])
    client = Client(raise_request_exception=False)
    assert client.get(video, HTTP_RANGE=f"bytes={DIGITS}-").status_code == 416  # starts past the end
    whole = client.get(video, HTTP_RANGE=f"bytes=0-{DIGITS}")
    assert whole.status_code == 206
    assert whole["Content-Range"] == "bytes 0-1035/1036"
    assert client.get(video, HTTP_RANGE=f"bytes=-{DIGITS}").status_code == 206  # the whole file


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_a_far_date_in_the_gallery_filter_is_reported_not_a_crash(hostile_world, field, day):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    response = client.get(reverse("generations:gallery"), {field: day})
    assert response.status_code == 200
    assert response.context["filters"].errors[field]


@pytest.mark.parametrize(("start", "end"), [("9999-12-29", "9999-12-31"), ("0001-01-01", "0001-01-02")])
def test_a_far_date_in_the_usage_review_is_reported_not_a_crash(hostile_world, start, end):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    response = client.get(reverse("usage:review"), {"start": start, "end": end})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("usage:review_csv"), {"start": start, "end": end}).status_code == 400


@pytest.mark.parametrize("project", ["not-a-uuid", "[]", "9" * 200])
def test_a_parameter_that_should_be_a_uuid_and_is_not_is_a_404(hostile_world, project):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    remix = reverse("generations:remix", args=[hostile_world.generation.code])
    assert client.get(remix, {"project": project}).status_code == 404


def test_a_redirect_target_that_looks_like_a_url_name_is_followed_as_a_path(hostile_world):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    star = reverse("generations:star", args=[hostile_world.generation.code])
    response = client.post(star, {"starred": "1", "next": "x" * 300})
    assert response.status_code == 302
    assert response["Location"] == "x" * 300


def test_a_nul_byte_in_an_admin_change_list_filter_is_refused_with_a_message(hostile_world):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    response = client.get(reverse("admin:generations_generation_changelist"), {"status__exact": "\x00"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_an_empty_to_field_in_the_admin_is_refused_not_a_crash(hostile_world):
    client = Client(raise_request_exception=False)
    client.force_login(hostile_world.team["owner"])
    url = reverse("admin:workspaces_membership_change", args=[hostile_world.viewer_membership.pk])
    assert client.get(url, {"_to_field": ""}).status_code == 400


def test_an_overlong_address_is_refused_with_414(hostile_world):
    client = Client(raise_request_exception=False)
    response = client.get(reverse("generations:gallery"), {"q": "x" * 5000})
    assert response.status_code == 414
    assert "too long" in response.content.decode()


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("ai_creation/task/page", {"type": 4, "unique_ids": ["abc\x00def"]}),
        ("ai_creation/task/submit", {"ref_prompt": "a kite\x00", "creation_type": 4}),
        ("access_token", {"app_id": "\x00", "secret_key": "x"}),
        ("access_token", {"app_id": "凭证", "secret_key": "密钥"}),  # non-ASCII credentials
        ("access_token", {"app_id": "sandbox", "secret_key": "\ud800"}),
    ],
)
def test_malformed_sandbox_bodies_get_an_error_envelope(hostile_world, endpoint, body):
    client = _client(hostile_world)
    response = client.post(
        f"/sandbox/open/v1/{endpoint}",
        json.dumps(body).encode(),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["code"] in (400, 40000)


def test_a_nul_in_a_sandbox_id_is_refused(hostile_world):
    client = _client(hostile_world)
    assert client.get("/sandbox/open/v1/ai_creation/task", {"unique_id": "\x00"}).status_code == 400
    assert client.get("/sandbox/open/v1/common/file_detail", {"id": "a\x00"}).status_code == 400
    assert client.get("/sandbox/files/%00/x.png").status_code == 400
