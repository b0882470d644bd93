"""Fetching from the web safely: http(s) only, public addresses only (every DNS answer and
redirect checked, the connection pinned to the checked address), bounded time and bytes,
robots.txt honoured and a polite pace per host."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from rag.config import LiveConfig
from rag.errors import InputError

Resolver = Callable[[str, int], list[str]]


class FetchError(InputError):
    """A URL that was refused or could not be fetched (one line, with the reason)."""


@dataclass
class Fetched:
    """A fetched resource: the final URL after redirects, its status and headers
    (lower-case names), and the body (empty for 304 Not Modified)."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";"):
            if part.strip().lower().startswith("charset="):
                charset = part.split("=", 1)[1].strip().strip('"') or charset
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors="replace")


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{host}: cannot resolve ({exc}).") from None
    return list(dict.fromkeys(a[4][0] for a in answers))


class Fetcher:
    """GETs web pages and feeds within ``config`` (a :class:`LiveConfig`).

    - Only http and https, on any port; user names in URLs are refused.
    - Every address a host resolves to must be public (not loopback, private, link-local
      such as the cloud metadata address 169.254.169.254, shared or reserved), unless
      ``allow_private_urls`` or it lies in ``allowed_networks``; the request then goes to
      that checked address (Host header and TLS name kept), so a second DNS answer cannot
      swap in another. Redirects (at most ``max_redirects``) are checked the same way.
    - ``fetch_timeout`` seconds for the whole response and ``max_page_bytes`` of body; the
      transfer is cut as soon as either is passed.
    - robots.txt is honoured for ``user_agent``; requests to one host are at least
      ``host_interval`` seconds apart.
    """

    def __init__(
        self,
        config: LiveConfig | None = None,
        resolver: Resolver = resolve,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config or LiveConfig()
        self.resolver, self.clock = resolver, clock
        self._networks = [
            ipaddress.ip_network(n.strip(), strict=False)
            for n in self.config.allowed_networks.split(",")
            if n.strip()
        ]
        self._robots: dict[str, RobotFileParser | None] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            follow_redirects=False, timeout=httpx.Timeout(self.config.fetch_timeout)
        )

    def get(self, url: str, headers: dict[str, str] | None = None, limit: int = 0) -> Fetched:
        """The resource at ``url`` (redirects followed and checked); ``limit`` overrides
        ``max_page_bytes``. An error status (400 and up) is a FetchError too; 304 is not.
        Raises :class:`FetchError` with the reason."""
        _parts(url)  # a malformed URL or scheme is refused before robots.txt is asked
        if not self.allowed_by_robots(url):
            raise FetchError(f"{url}: robots.txt asks {self.config.user_agent} not to fetch it.")
        fetched = self._get(url, headers or {}, limit or self.config.max_page_bytes)
        if fetched.status >= 400:
            raise FetchError(f"{fetched.url}: HTTP {fetched.status}.")
        return fetched

    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            rules: RobotFileParser | None = None
            try:
                found = self._get(f"{origin}/robots.txt", {}, 500_000)
                if found.status < 400:
                    rules = RobotFileParser()
                    rules.parse(found.text().splitlines())
                elif found.status >= 500:  # RFC 9309: server errors mean "do not crawl"
                    rules = RobotFileParser()
                    rules.parse(["User-agent: *", "Disallow: /"])
            except FetchError:
                rules = None  # no robots.txt to read: nothing is disallowed
            self._robots[origin] = rules
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(self.config.user_agent, url)

    def _get(self, url: str, headers: dict[str, str], limit: int) -> Fetched:
        started = self.clock()
        for _ in range(self.config.max_redirects + 1):
            pinned, host_header, host = self.check(url)
            self._pace(host)
            request = self._client.build_request(
                "GET",
                pinned,
                headers={"Host": host_header, "User-Agent": self.config.user_agent, **headers},
                extensions={"sni_hostname": host},
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {_reason(exc)}.") from None
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                body = self._read(response, url, limit, started)
                lowered = {k.lower(): v for k, v in response.headers.items()}
                return Fetched(url, response.status_code, lowered, body)
            finally:
                response.close()
        raise FetchError(f"{url}: more than {self.config.max_redirects} redirects.")

    def _read(self, response: httpx.Response, url: str, limit: int, started: float) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: larger than {limit:,} bytes; not read.")
                if self.clock() - started > self.config.fetch_timeout:
                    raise FetchError(f"{url}: took over {self.config.fetch_timeout:g} s.")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {_reason(exc)}.") from None
        return b"".join(chunks)

    def check(self, url: str) -> tuple[str, str, str]:
        """(URL pointing at the checked address, Host header, host name), or FetchError."""
        parts, port = _parts(url)
        host = parts.hostname
        addresses = self.resolver(host, port)
        if not addresses:
            raise FetchError(f"{host}: no address.")
        for address in addresses:  # every answer, so no round-robin answer slips through
            self._check_address(host, address)
        ip = ipaddress.ip_address(addresses[0].split("%")[0])
        netloc = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        return pinned, parts.netloc.rpartition("@")[2], host

    def _check_address(self, host: str, address: str) -> None:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if ip.is_global and not ip.is_multicast:
            return
        if self.config.allow_private_urls or any(ip in n for n in self._networks):
            return
        raise FetchError(
            f"{host} is {ip}, a private or local address: refused "
            "(--allow-private-urls or RAG_ALLOW_PRIVATE_URLS=1 allows it)."
        )

    def _pace(self, host: str) -> None:
        with self._lock:
            wait = self._last.get(host, -1e9) + self.config.host_interval - self.clock()
            self._last[host] = self.clock() + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)

    def close(self) -> None:
        self._client.close()


def _parts(url: str):
    """The split URL and its port, for an http(s) URL with a host and no user name."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"'{url}' is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"'{url}': only http and https URLs are fetched.")
    if not parts.hostname or parts.username or parts.password:
        raise FetchError(f"'{url}': a URL needs a host and no user name.")
    return parts, port


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
