"""client.download over real HTTP to a local server: where it may go, how long and how much."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time

import pytest

from studio.chanjing.client import DownloadAllowance
from studio.chanjing.download import resolve
from studio.chanjing.errors import DownloadInterrupted, DownloadRefused, TransportError
from tests.hostile.provider import HostileProvider, Sink, trickle

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


@pytest.fixture
def server():
    provider = HostileProvider()
    provider.routes["/v.mp4"] = lambda h: h.send_bytes(VIDEO, content_type="video/mp4")
    yield provider
    provider.close()


@pytest.fixture
def client(make_client, tokens, server):
    """The client with the test's explicit allowance: the local server's origin and nothing else."""
    return make_client(download_allowance=DownloadAllowance.build([], local_origins=[server.url]))


def test_download_streams_and_hashes(client, server, journal):
    out = io.BytesIO()
    size, sha, content_type = client.download(f"{server.url}/v.mp4", out, max_bytes=len(VIDEO))
    assert (size, sha, content_type) == (len(VIDEO), hashlib.sha256(VIDEO).hexdigest(), "video/mp4")
    assert out.getvalue() == VIDEO
    assert "access_token" not in {name.lower() for name in server.headers["/v.mp4"]}
    assert journal[-1].endpoint == "download" and journal[-1].ok and journal[-1].http_status == 200


def test_download_refuses_a_declared_oversize_without_reading_it(client, server):
    big = 50 * 1024 * 1024
    server.routes["/big.mp4"] = lambda h: h.send_stream(
        (b"\0" * 65536 for _ in range(big // 65536)), content_type="video/mp4", length=big
    )
    out = io.BytesIO()
    with pytest.raises(TransportError, match="limit") as caught:
        client.download(f"{server.url}/big.mp4", out, max_bytes=100)
    assert not caught.value.retryable and out.getvalue() == b""
    time.sleep(0.2)
    assert server.sent["/big.mp4"] < 10 * 1024 * 1024


def test_download_stops_an_undeclared_oversize(client, server):
    server.routes["/v.mp4"] = lambda h: h.send_stream(iter([VIDEO]), content_type="video/mp4")
    out = io.BytesIO()
    with pytest.raises(TransportError, match="limit"):
        client.download(f"{server.url}/v.mp4", out, max_bytes=6000)
    assert len(out.getvalue()) <= 6000


def test_download_notices_a_short_body(client, server):
    server.routes["/v.mp4"] = lambda h: h.send_stream(iter([VIDEO[:1000]]), length=len(VIDEO))
    with pytest.raises(TransportError) as caught:
        client.download(f"{server.url}/v.mp4", io.BytesIO(), max_bytes=10**6)
    assert caught.value.retryable


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (403, False), (502, True)])
def test_download_http_errors(client, server, status, retryable):
    server.routes["/v.mp4"] = lambda h: h.send_bytes(b"nope", status=status, content_type="text/plain")
    with pytest.raises(TransportError) as caught:
        client.download(f"{server.url}/v.mp4", io.BytesIO(), max_bytes=10**6)
    assert caught.value.retryable is retryable and caught.value.http_status == status


def test_download_transport_error_hides_the_signature(make_client, tokens, journal):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v.mp4?sig=SECRETSIG"
    client = make_client(download_allowance=DownloadAllowance.build([], local_origins=[url]))
    with pytest.raises(TransportError) as caught:
        client.download(url, io.BytesIO(), max_bytes=10**6)
    assert caught.value.retryable
    assert "SECRETSIG" not in json.dumps([str(caught.value), [repr(record) for record in journal]])


@pytest.mark.parametrize("rate", [2048, 1])
def test_the_deadline_holds_within_a_second_whatever_the_chunk_rate(client, server, rate):
    server.routes["/slow.mp4"] = lambda h: h.send_stream(
        trickle(VIDEO * 20, rate), content_type="video/mp4", length=len(VIDEO) * 20
    )
    out = io.BytesIO()
    started = time.monotonic()
    with pytest.raises(DownloadInterrupted, match="ran out of time") as caught:
        client.download(f"{server.url}/slow.mp4", out, max_bytes=10**8, max_seconds=1.5)
    assert time.monotonic() - started < 2.5
    assert caught.value.retryable
    assert len(out.getvalue()) < len(VIDEO * 20)


def test_a_deadline_in_unix_time_bounds_the_download_too(client, server):
    server.routes["/slow.mp4"] = lambda h: h.send_stream(trickle(VIDEO * 20, 2048), length=len(VIDEO) * 20)
    started = time.monotonic()
    with pytest.raises(DownloadInterrupted):
        client.download(
            f"{server.url}/slow.mp4", io.BytesIO(), max_bytes=10**8, max_seconds=600, deadline=time.time() + 1
        )
    assert time.monotonic() - started < 2


def test_should_stop_interrupts_a_download_at_once(client, server):
    server.routes["/slow.mp4"] = lambda h: h.send_stream(trickle(VIDEO * 20, 2048), length=len(VIDEO) * 20)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(DownloadInterrupted, match="stopping"):
        client.download(f"{server.url}/slow.mp4", io.BytesIO(), max_bytes=10**8, should_stop=stop.is_set)
    assert time.monotonic() - started < 1.5


def test_a_download_stops_when_its_lease_is_no_longer_held(client, server):
    server.routes["/slow.mp4"] = lambda h: h.send_stream(trickle(VIDEO * 20, 2048), length=len(VIDEO) * 20)
    asked: list[float] = []

    def still_held() -> bool:
        asked.append(time.monotonic())
        return len(asked) < 3

    with pytest.raises(DownloadInterrupted, match="no longer holds"):
        client.download(f"{server.url}/slow.mp4", io.BytesIO(), max_bytes=10**8, still_held=still_held)
    assert len(asked) == 3  # asked between chunks, and the first False ends it


# --- Where a download may go -------------------------------------------------------------


def test_without_an_allowance_nothing_is_downloaded(make_client, tokens, server):
    client = make_client()
    with pytest.raises(DownloadRefused, match="not allowed"):
        client.download(f"{server.url}/v.mp4", io.BytesIO(), max_bytes=10**6)
    assert server.hits["/v.mp4"] == 0


def test_a_redirect_out_of_the_allowance_is_refused_before_connecting(client, server):
    sink = Sink()
    server.routes["/moved.mp4"] = lambda h: h.redirect(f"http://127.0.0.1:{sink.port}/v.mp4")
    with pytest.raises(DownloadRefused):
        client.download(f"{server.url}/moved.mp4", io.BytesIO(), max_bytes=10**6)
    assert sink.connections == 0
    sink.close()


def test_endless_redirects_are_refused(client, server):
    server.routes["/loop.mp4"] = lambda h: h.redirect("/loop.mp4")
    with pytest.raises(DownloadRefused, match="redirects"):
        client.download(f"{server.url}/loop.mp4", io.BytesIO(), max_bytes=10**6)


def fake_dns(*addresses: str):
    def getaddrinfo(host, port, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    return getaddrinfo


LIVE = DownloadAllowance.build([".chanjing.cc", "cdn.example.com"])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_an_allowed_name_that_resolves_inside_the_network_is_refused(address):
    with pytest.raises(DownloadRefused, match="address"):
        resolve("https://res.chanjing.cc/v.mp4", LIVE, getaddrinfo=fake_dns(address))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(DownloadRefused):
        resolve("https://res.chanjing.cc/v.mp4", LIVE, getaddrinfo=fake_dns("8.8.8.8", "10.0.0.1"))


def test_the_checked_address_is_the_one_connected_to():
    dns = fake_dns("93.184.216.34", "8.8.8.8")
    target = resolve("https://res.chanjing.cc/a/v.mp4?x=1", LIVE, getaddrinfo=dns)
    assert (target.address, target.host, target.port, target.path) == (
        "93.184.216.34",
        "res.chanjing.cc",
        443,
        "/a/v.mp4?x=1",
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://res.chanjing.cc/v.mp4", "scheme"),
        ("ftp://res.chanjing.cc/v.mp4", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://evil.test/v.mp4", "allowance"),
        ("https://chanjing.cc.evil.test/v.mp4", "allowance"),
        ("https://evilchanjing.cc/v.mp4", "allowance"),
        ("https://user:pw@res.chanjing.cc/v.mp4", "credentials"),
        ("https://[::1/v.mp4", "malformed"),
    ],
)
def test_the_allowance_refuses_other_schemes_and_hosts(url, words):
    with pytest.raises(DownloadRefused, match=words):
        resolve(url, LIVE, getaddrinfo=fake_dns("8.8.8.8"))


def test_subdomains_of_an_allowed_domain_pass():
    for url in (
        "https://res.chanjing.cc/v.mp4",
        "https://a.b.chanjing.cc/v.mp4",
        "https://cdn.example.com/v",
    ):
        assert resolve(url, LIVE, getaddrinfo=fake_dns("8.8.8.8")).address == "8.8.8.8"
    with pytest.raises(DownloadRefused):
        resolve("https://x.cdn.example.com/v", LIVE, getaddrinfo=fake_dns("8.8.8.8"))
