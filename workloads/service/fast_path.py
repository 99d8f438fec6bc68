"""The ``/v1`` fast path: pre-serialised responses served from the event loop, and request counting, as plain ASGI
middleware (no per-request task, thread hop, dependency resolution or response-model validation).

**Freshness.** A ``200`` answer of a ``GET /v1/…`` route is kept as bytes (status, headers, body) under its exact
path and query string in a bounded in-process LRU (:class:`ResponseCache`, at most :data:`ENTRIES` answers and
:data:`MAX_BYTES` of bodies). For
``fresh_seconds`` after it was computed (:data:`V1_FRESH_SECONDS`, 1 s, by default) a request with the right bearer
token gets those bytes without touching storage. The first request after that goes through the route (its auth,
validation, storage read and response model, as without the cache) and its answer replaces the entry; while that
refresh is in flight (at most ``refresh_seconds``) concurrent requests of the same key still get the previous bytes,
so a refresh that recomputes signals after a new bar (seconds at 1,000,000 bars) delays no one but its own caller. A
refresh that answers anything but ``200`` (``503`` in a storage outage, ``404``) drops the entry, so every later
request goes through the route again. So a new bar, a new run or a promotion is served at most ``fresh_seconds``
(plus one refresh) after it is stored, by every replica and worker (each holds its own cache; there is nothing to
invalidate across processes), and the route runs about once per ``fresh_seconds`` per distinct request instead of on
every request. ``fresh_seconds=0`` turns the cache off.

**Auth.** Only a request whose ``Authorization`` header is exactly ``Bearer <token>`` is answered from the cache: the
SHA-256 of the header is compared in constant time with the digest computed once at start (the token itself is
never compared, logged or kept by this module). Every other request, including other spellings the route accepts
(``bearer`` in lower case), goes through the route and its ``401``.

**Counting** (:class:`CountRequests`): every request, cached or not, is counted in
``genepool_http_requests_total{method,route,status}`` and timed in ``genepool_http_request_duration_seconds``;
``route`` is the route template (a cached answer carries the route that computed it), ``<unmatched>`` for none.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from workloads.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

V1_FRESH_SECONDS = 1.0
"""How long a computed ``/v1`` answer is served from memory before the next request recomputes it."""
ENTRIES = 1024
"""Distinct ``/v1`` answers kept (least recently used evicted first)."""
MAX_BYTES = 64 * 1024 * 1024
"""Total size of the kept answers' bodies (least recently used evicted first; a larger answer is not kept)."""
CACHED_PREFIX = "/v1/"


def bearer_digest(token: str) -> bytes:
    """SHA-256 of the ``Authorization`` header value that carries ``token``."""
    return hashlib.sha256(b"Bearer " + token.encode()).digest()


@dataclass
class Entry:
    """One cached answer."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any
    stored_at: float
    refreshing_since: float | None = None


class ResponseCache:
    """Cached ``/v1`` answers by ``(path, query string)`` with the freshness rules of the module doc."""

    def __init__(
        self,
        fresh_seconds: float = V1_FRESH_SECONDS,
        refresh_seconds: float = 60.0,
        entries: int = ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fresh_seconds = fresh_seconds
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._entries: OrderedDict[tuple[str, bytes], Entry] = OrderedDict()
        self._max_entries = entries
        self._max_bytes = max_bytes
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        return self.fresh_seconds > 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: tuple[str, bytes]) -> Entry | None:
        """The entry to serve, or ``None`` when the caller must compute the answer (then it is the refresh: other
        callers get the previous entry until :meth:`store` or :meth:`drop`)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if now - entry.stored_at < self.fresh_seconds:
            self._entries.move_to_end(key)
            return entry
        if entry.refreshing_since is not None and now - entry.refreshing_since < self.refresh_seconds:
            return entry
        entry.refreshing_since = now
        return None

    def store(self, key: tuple[str, bytes], entry: Entry) -> None:
        self.drop(key)
        if len(entry.body) > self._max_bytes:
            return
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def drop(self, key: tuple[str, bytes]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


class CachedV1:
    """ASGI middleware answering authorised ``GET /v1/…`` requests from a :class:`ResponseCache`."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, token: str | None) -> None:
        self.app = app
        self.cache = cache
        self._digest = bearer_digest(token) if token else None

    def _authorised(self, scope: Scope) -> bool:
        if self._digest is None:
            return False
        for name, value in scope["headers"]:
            if name == b"authorization":
                return hmac.compare_digest(hashlib.sha256(value).digest(), self._digest)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.cache.enabled
            or not scope["path"].startswith(CACHED_PREFIX)
            or not self._authorised(scope)
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry = self.cache.lookup(key)
        if entry is not None:
            scope["route"] = entry.route
            await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers})
            await send({"type": "http.response.body", "body": entry.body})
            return
        await self._compute(key, scope, receive, send)

    async def _compute(self, key: tuple[str, bytes], scope: Scope, receive: Receive, send: Send) -> None:
        started = self.cache.clock()
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        stored = False
        try:
            await self.app(scope, receive, capture)
            if start.get("status") == 200 and not start.get("trailers"):
                headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", ())]
                entry = Entry(200, headers, b"".join(chunks), scope.get("route"), started)
                self.cache.store(key, entry)
                stored = True
        finally:
            if not stored:
                self.cache.drop(key)


class CountRequests:
    """ASGI middleware counting and timing every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            template = getattr(scope.get("route"), "path", "<unmatched>")
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(scope["method"], template).observe(time.perf_counter() - start)
