"""Fetching a result video from a URL the provider gave: only where a video may be, in bounded time.

A provider's `output_url` is untrusted input. Left alone, a fetch of it is a request forgery
against the studio's own network (loopback services, the cloud metadata address, private
hosts). So a download:

- goes only to `https` (and `http` when allowed) URLs whose host is on the allowance;
- resolves the host once, refuses it if any address is loopback, private, link-local,
  multicast, reserved or otherwise not global, and connects to that checked address (so a
  second DNS answer cannot swap it), with TLS still verified against the host name;
- checks every redirect the same way, at most MAX_REDIRECTS of them;
- ends within a second of its deadline whatever the server does: a watchdog thread shuts the
  socket down when the deadline passes or `should_stop()` says the worker is stopping.

`local_origins` are exact origins (scheme, host and port) exempt from the address check:
the sandbox provider on this very machine, or a test's fake provider. They are configured,
never inferred from a URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from studio.chanjing.errors import DownloadInterrupted, DownloadRefused, TransportError
from studio.chanjing.wire import DOWNLOAD_ENDPOINT

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
WATCH_INTERVAL = 0.1


@dataclass(frozen=True)
class DownloadAllowance:
    """Where videos may be fetched from.

    `hosts`: exact host names, or ".example.com" for that domain and every subdomain.
    """

    hosts: tuple[str, ...] = ()
    allow_http: bool = False
    local_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls, hosts: Sequence[str], *, allow_http: bool = False, local_origins: Sequence[str] = ()
    ) -> DownloadAllowance:
        return cls(
            hosts=tuple(host.strip().lower().strip("[]") for host in hosts if host.strip()),
            allow_http=allow_http,
            local_origins=frozenset(
                origin for origin in (_origin_of(url) for url in local_origins) if origin
            ),
        )

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for allowed in self.hosts:
            if allowed.startswith("."):
                if host == allowed[1:] or host.endswith(allowed):
                    return True
            elif host == allowed:
                return True
        return False


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def _refused(msg: str) -> DownloadRefused:
    return DownloadRefused(f"Refused to download the video: {msg}.", endpoint=DOWNLOAD_ENDPOINT)


def check_address(address: str) -> None:
    """Refuse an address inside the studio's own networks (or anything not globally routable)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        raise _refused(f"{ip} is a loopback, private, link-local, multicast or reserved address")


def resolve(
    url: str,
    allowance: DownloadAllowance,
    *,
    getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo,
) -> Target:
    """Check `url` against the allowance and return where to connect; DownloadRefused if not allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refused("the URL is malformed") from None
    host = (parts.hostname or "").lower()
    # A local origin names its scheme itself, so the sandbox's http origin needs no allow_http.
    local = f"{parts.scheme}://{host}:{port}" in allowance.local_origins
    if parts.scheme not in ("https", "http") or (
        parts.scheme == "http" and not (allowance.allow_http or local)
    ):
        raise _refused(f"the scheme {parts.scheme or '(none)'!r} is not allowed")
    if not host:
        raise _refused("the URL has no host")
    if parts.username or parts.password:
        raise _refused("the URL carries credentials")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not local and not allowance.allows_host(host):
        raise _refused(f"the host {host} is not on the download allowance")
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TransportError(
            f"connection error: cannot resolve {host}: {error}", endpoint=DOWNLOAD_ENDPOINT
        ) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise TransportError(f"connection error: {host} has no address", endpoint=DOWNLOAD_ENDPOINT)
    if not local:
        # Every address is checked, not only the first: the connection must not be able to land
        # on one that was not.
        for address in addresses:
            check_address(address)
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while speaking to the host by name."""

    def __init__(self, target: Target, timeout: float, connect_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target
        self.connect_timeout = connect_timeout

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.target.address, self.target.port), self.connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def __init__(
        self, target: Target, timeout: float, connect_timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(target, timeout, connect_timeout)
        self.context = context

    def connect(self) -> None:
        self.sock = self.context.wrap_socket(self._open_socket(), server_hostname=self.target.host)


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - requests depends on certifi
        return ssl.create_default_context()


class _Watchdog:
    """Shuts the connection down when the deadline passes or the worker is stopping, so a blocked
    read returns at once instead of waiting for bytes that trickle or never come."""

    def __init__(
        self,
        ends_at: float,
        should_stop: Callable[[], bool] | None,
        still_held: Callable[[], bool] | None = None,
    ) -> None:
        self.ends_at = ends_at
        self.should_stop = should_stop
        self.still_held = still_held
        self.reason = ""
        self.conn: http.client.HTTPConnection | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="download-watchdog", daemon=True)

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def check(self) -> None:
        """Raise when the download must end. Called in the downloading thread between chunks, so
        `still_held` (the caller's lease, which touches the database) runs only there."""
        if not self.reason:
            self._look()
        if not self.reason and self.still_held is not None and not self.still_held():
            self.reason = "The video download was interrupted: the worker no longer holds this generation."
        if self.reason:
            raise DownloadInterrupted(self.reason, endpoint=DOWNLOAD_ENDPOINT)

    def _look(self) -> None:
        if time.monotonic() >= self.ends_at:
            self.reason = "The video download ran out of time."
        elif self.should_stop is not None and self.should_stop():
            self.reason = "The video download was interrupted: the worker is stopping."

    def _watch(self) -> None:
        while not self._done.wait(WATCH_INTERVAL):
            self._look()
            if self.reason:
                sock = self.conn.sock if self.conn is not None else None
                if sock is not None:
                    # socket.socket's own shutdown, also for an SSL socket: it only ends the
                    # transfer, and the reading thread then closes the connection.
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                return


def fetch(
    url: str,
    dest_file: IO[bytes],
    *,
    allowance: DownloadAllowance,
    max_bytes: int,
    seconds: float,
    connect_timeout: float,
    read_timeout: float,
    should_stop: Callable[[], bool] | None = None,
    still_held: Callable[[], bool] | None = None,
    on_status: Callable[[int], None] = lambda status: None,
) -> tuple[int, str, str]:
    """Stream `url` into `dest_file`; return (size, sha256 hex, content type). See the module doc."""
    ends_at = time.monotonic() + max(0.0, seconds)
    with _Watchdog(ends_at, should_stop, still_held) as watchdog:
        watchdog.check()
        for _hop in range(MAX_REDIRECTS + 1):
            target = resolve(url, allowance)
            remaining = max(0.05, ends_at - time.monotonic())
            timeout = min(read_timeout, remaining)
            connect = min(connect_timeout, remaining)
            if target.scheme == "https":
                conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
                    target, timeout, connect, _tls_context()
                )
            else:
                conn = _PinnedHTTPConnection(target, timeout, connect)
            watchdog.conn = conn
            try:
                response = _request(conn, target, watchdog)
                on_status(response.status)
                if response.status in (301, 302, 303, 307, 308):
                    location = response.getheader("Location")
                    if not location:
                        raise TransportError("The video URL redirected nowhere.", endpoint=DOWNLOAD_ENDPOINT)
                    url = urljoin(url, location)
                    continue
                return _body(response, dest_file, max_bytes, watchdog)
            finally:
                watchdog.conn = None
                conn.close()
        raise DownloadRefused(
            f"Refused to download the video: more than {MAX_REDIRECTS} redirects.", endpoint=DOWNLOAD_ENDPOINT
        )


def _request(
    conn: http.client.HTTPConnection, target: Target, watchdog: _Watchdog
) -> http.client.HTTPResponse:
    headers = {"Host": target.host_header, "Accept-Encoding": "identity", "User-Agent": "seedance-studio"}
    try:
        conn.request("GET", target.path, headers=headers)
        return conn.getresponse()
    except (OSError, http.client.HTTPException) as error:
        watchdog.check()
        raise _transport_error(error) from None


def _body(
    response: http.client.HTTPResponse, dest_file: IO[bytes], max_bytes: int, watchdog: _Watchdog
) -> tuple[int, str, str]:
    status = response.status
    if not 200 <= status < 300:
        raise TransportError(
            f"The video URL answered HTTP {status}.",
            http_status=status,
            endpoint=DOWNLOAD_ENDPOINT,
            retryable=status >= 500 or status == 429,
        )
    declared_header = response.getheader("Content-Length")
    declared = int(declared_header) if declared_header and declared_header.strip().isdigit() else None
    if declared is not None and declared > max_bytes:
        raise too_big(declared, max_bytes, status)
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip()[:100]
    digest = hashlib.sha256()
    size = 0
    while True:
        watchdog.check()
        try:
            chunk = response.read1(CHUNK)
        except (OSError, http.client.HTTPException) as error:
            watchdog.check()
            raise _transport_error(error, status) from None
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise too_big(size, max_bytes, status)
        digest.update(chunk)
        dest_file.write(chunk)
    watchdog.check()
    if declared is not None and size != declared:
        raise TransportError(
            f"The video download stopped at {size} of {declared} bytes.",
            http_status=status,
            endpoint=DOWNLOAD_ENDPOINT,
        )
    return size, digest.hexdigest(), content_type


def _transport_error(error: Exception, status: int | None = None) -> TransportError:
    if isinstance(error, TimeoutError):
        kind = "read timeout"
    elif isinstance(error, OSError):
        kind = "connection error"
    else:
        kind = type(error).__name__
    return TransportError(f"{kind}: {error}"[:300], http_status=status, endpoint=DOWNLOAD_ENDPOINT)


def too_big(size: int, max_bytes: int, status: int | None) -> TransportError:
    return TransportError(
        f"The video is larger than the {max_bytes}-byte limit ({size} bytes so far).",
        http_status=status,
        endpoint=DOWNLOAD_ENDPOINT,
        retryable=False,
    )
