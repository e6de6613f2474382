"""HTTP access to the TR2000 API: retries, rate limit, bounded concurrent prefetch, envelopes."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import msgspec
import requests

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Transport failures worth another try: timeouts, refused/dropped connections, cut-off bodies.
RETRYABLE_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)
_json = msgspec.json.Decoder()
MAX_BACKOFF_SECONDS = 60.0


class Tr2000Error(Exception):
    """A call or a response the tap cannot use; the message names the URL."""


class Tr2000NotFoundError(Tr2000Error):
    """HTTP 404 for a URL."""


@dataclass(frozen=True)
class Envelope:
    """A checked response: the rows of its `get…` array and the scalar header fields."""

    url: str
    array_key: str
    rows: list[dict[str, Any]]
    header: dict[str, Any]


def parse_envelope(url: str, body: Any, array_key: str, *, prefix: bool = False) -> Envelope:
    """Check `{"success": true, <scalars>, "<array_key>": [...]}`; raise naming the URL if not.

    With `prefix`, any array key starting with `array_key` is accepted (embedded notes: the exact
    name is unconfirmed).
    """
    if not isinstance(body, dict):
        msg = f"TR2000 response from {url} is not a JSON object (got {type(body).__name__})"
        raise Tr2000Error(msg)
    if body.get("success") is not True:
        detail = body.get("message") or body.get("Message") or ""
        msg = f"TR2000 response from {url} has success={body.get('success')!r} {detail}".rstrip()
        raise Tr2000Error(msg)
    keys = [k for k in body if (k.startswith(array_key) if prefix else k == array_key)]
    arrays = [k for k in keys if isinstance(body[k], list)]
    if not arrays:
        found = sorted(k for k in body if k.startswith("get"))
        msg = (
            f"TR2000 response from {url} lacks the array {array_key!r}"
            f"{' (by prefix)' if prefix else ''}; it has {found or 'no get… arrays'}"
        )
        raise Tr2000Error(msg)
    rows = body[arrays[0]]
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            msg = (
                f"TR2000 response from {url}: row {position} of {arrays[0]!r} is not an object "
                f"(got {type(row).__name__})"
            )
            raise Tr2000Error(msg)
    header = {k: v for k, v in body.items() if k != "success" and not isinstance(v, list | dict)}
    return Envelope(url=url, array_key=arrays[0], rows=rows, header=header)


def require_rows(envelope: Envelope, stream: str, *, exactly_one: bool = False) -> None:
    """An empty list where the API always has rows is a bad answer, never "0 rows"."""
    count = len(envelope.rows)
    if count == 0 or (exactly_one and count != 1):
        wanted = "exactly one row" if exactly_one else "at least one row"
        msg = (
            f"stream {stream}: TR2000 response from {envelope.url} has {count} rows in "
            f"{envelope.array_key!r}; expected {wanted}"
        )
        raise Tr2000Error(msg)


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart across all threads."""

    def __init__(self, requests_per_second: float) -> None:
        self._interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


class Tr2000Client:
    """GETs JSON from the API; safe to call from many threads."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        user_agent: str,
        max_concurrency: int,
        requests_per_second: float,
        max_retries: int,
        backoff_seconds: float,
        logger: logging.Logger,
    ) -> None:
        # Credentials in the URL would be printed with every URL: send them as auth instead.
        parts = urlsplit(base_url.rstrip("/"))
        auth = None
        if parts.username or parts.password:
            auth = (unquote(parts.username or ""), unquote(parts.password or ""))
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        self.base_url = urlunsplit(parts)
        self.answered = False  # set by the first good answer
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.logger = logger
        self.request_count = 0
        self.retry_count = 0
        self._count_lock = threading.Lock()
        self._limiter = RateLimiter(requests_per_second)
        # Counts every request, also those the consumer thread makes itself.
        self._in_flight = threading.BoundedSemaphore(max(max_concurrency, 1))
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=max(max_concurrency, 1) + 2, max_retries=0
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self._session.auth = auth
        self.prefetcher = Prefetcher(self._get_json, workers=max(max_concurrency, 1))

    def url(self, *segments: str | int) -> str:
        """Base URL plus path segments, each URL-encoded (PCS names hold `-`, `X`, maybe `/`)."""
        return self.base_url + "".join("/" + quote(str(s), safe="") for s in segments)

    def get_json(self, url: str) -> Any:
        """The parsed body, taken from the prefetch pipeline when it was scheduled there."""
        return self.prefetcher.get(url)

    def fetch(self, url: str, array_key: str, *, stream: str, prefix: bool = False) -> Envelope:
        """The checked envelope; any failure names the stream as well as the URL."""
        try:
            return parse_envelope(url, self.get_json(url), array_key, prefix=prefix)
        except Tr2000Error as exc:
            raise type(exc)(f"stream {stream}: {exc}") from exc

    def _hint(self, msg: str) -> str:
        """Before any good answer, a bad one most likely means a wrong base URL."""
        if self.answered:
            return msg
        return f"{msg} (no call has succeeded yet: is base_url {self.base_url} the TR2000 API?)"

    def close(self) -> None:
        self.prefetcher.shutdown()
        self._session.close()

    def _send(self, url: str) -> requests.Response:
        with self._in_flight:
            self._limiter.acquire()
            with self._count_lock:
                self.request_count += 1
            return self._session.get(url, timeout=self.timeout)

    def _get_json(self, url: str) -> Any:
        attempt = 0
        while True:
            transport = False
            try:
                response = self._send(url)
            except RETRYABLE_ERRORS as exc:
                reason = f"{type(exc).__name__}: {_cause(exc, self.timeout)}"
                retry_after, transport = None, True
            except requests.RequestException as exc:
                msg = f"TR2000 request GET {url} failed: {type(exc).__name__}: {exc}"
                raise Tr2000Error(self._hint(msg)) from exc
            else:
                if response.status_code == 200:
                    try:
                        body = _json.decode(response.content)
                    except msgspec.DecodeError as exc:
                        msg = _not_json_message(url, response, exc)
                        raise Tr2000Error(self._hint(msg)) from exc
                    self.answered = True
                    return body
                if response.status_code == 404:
                    msg = f"TR2000 returned HTTP 404 Not Found for {url}"
                    raise Tr2000NotFoundError(self._hint(msg))
                if response.status_code not in RETRYABLE_STATUSES:
                    msg = f"TR2000 returned HTTP {response.status_code} for {url}"
                    raise Tr2000Error(self._hint(msg))
                reason = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response)
            if attempt >= self.max_retries:
                msg = f"TR2000 request failed after {attempt + 1} attempts: GET {url}: {reason}"
                if transport and not self.answered:
                    msg = f"cannot reach the TR2000 API given by base_url ({self.base_url}); {msg}"
                raise Tr2000Error(msg)
            delay = retry_after if retry_after is not None else self.backoff_seconds * 2**attempt
            delay = min(delay, MAX_BACKOFF_SECONDS)
            attempt += 1
            with self._count_lock:
                self.retry_count += 1
            self.logger.warning(
                "GET %s: %s; retry %d/%d in %.1f s", url, reason, attempt, self.max_retries, delay
            )
            time.sleep(delay)


# Markers in requests' text (a nest of wrapped urllib3 exceptions) -> the cause in words.
_CAUSES = (
    ("Connection refused", "connection refused"),
    ("NameResolution", "host name not found"),
    ("Name or service not known", "host name not found"),
    ("RemoteDisconnected", "the server closed the connection without an answer"),
    ("Connection aborted", "the server closed the connection without an answer"),
)


def _cause(exc: Exception, timeout: float) -> str:
    """A transport failure in words."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within request_timeout={timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake or certificate check failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the body was cut off"
    text = str(exc)
    return next((words for marker, words in _CAUSES if marker in text), text)


def _not_json_message(url: str, response: requests.Response, exc: Exception) -> str:
    """Say what came instead (an HTML error page from a proxy, a cut-off body, nothing)."""
    kind = response.headers.get("Content-Type", "no Content-Type")
    size = len(response.content)
    start = response.content[:60].decode("utf-8", "backslashreplace")
    return (
        f"TR2000 response from {url} is not valid JSON ({kind}, {size} bytes, "
        f"starts {start!r}): {exc}"
    )


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


class Prefetcher:
    """Runs scheduled GETs ahead of the consumer on a bounded thread pool.

    URLs are scheduled in the order the streams will read them; at most `window` responses are
    fetched ahead, so memory stays bounded however many detail calls a plant has. A URL read
    before it was started is fetched at once.
    """

    def __init__(self, fetch: Any, workers: int, window: int | None = None) -> None:
        self._fetch = fetch
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tr2000")
        self._window = window or workers * 2
        self._started: dict[str, Future[Any]] = {}
        self._queued: deque[str] = deque()
        self._lock = threading.Lock()

    def schedule(self, urls: list[str], *, front: bool = False) -> None:
        with self._lock:
            fresh = [u for u in dict.fromkeys(urls) if u not in self._started]
            fresh = [u for u in fresh if u not in self._queued]
            if front:
                self._queued.extendleft(reversed(fresh))
            else:
                self._queued.extend(fresh)
            self._fill()

    def get(self, url: str) -> Any:
        with self._lock:
            future = self._started.pop(url, None)
            if future is None and url in self._queued:
                self._queued.remove(url)
                future = self._executor.submit(self._fetch, url)
            self._fill()
        if future is None:
            return self._fetch(url)
        return future.result()

    def discard_pending(self, prefix: str = "") -> int:
        """Forget scheduled URLs starting with `prefix` that were not read; return how many."""
        with self._lock:
            queued = [u for u in self._queued if u.startswith(prefix)]
            for url in queued:
                self._queued.remove(url)
            started = [u for u in self._started if u.startswith(prefix)]
            for url in started:
                self._started.pop(url).cancel()
            self._fill()
        return len(queued) + len(started)

    def shutdown(self) -> None:
        self.discard_pending()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _fill(self) -> None:
        while self._queued and len(self._started) < self._window:
            url = self._queued.popleft()
            self._started[url] = self._executor.submit(self._fetch, url)
