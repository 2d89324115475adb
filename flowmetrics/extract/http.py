"""The HTTP client every tracker extract uses: JSON over httpx with retries and exponential backoff on 429, 5xx and
transport errors (tenacity), Retry-After and rate-limit headers honoured, Link-header pagination, and errors that
name the credential variable to set but never hold a token.

The sleep function and the clock are injectable, so tests do not wait.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from flowmetrics.errors import ExtractCredentialsError, ExtractError

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers that say "try again later": too many requests, or the server failed."""
BACKOFF_FIRST = 1.0  # seconds before the second attempt when the server names no wait; doubles per attempt
BACKOFF_MAX = 60.0
MAX_WAIT = 900.0
"""The longest wait a Retry-After or rate-limit reset may ask for; a longer one fails the pull (try again later)."""
DETAIL_CHARS = 300  # how much of an error answer's body a message quotes
REMAINING_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-RateLimit-Requests-Remaining")
RESET_HEADERS = ("X-RateLimit-Reset", "RateLimit-Reset", "X-RateLimit-Requests-Reset")
"""The rate-limit headers read, in this order: GitHub and Jira Cloud, GitLab, Linear."""
_SECRET_HEADER = re.compile(r"auth|token|key|secret|cookie|session", re.IGNORECASE)
"""Headers whose values are credentials, redacted from every message (Authorization, PRIVATE-TOKEN, X-Api-Key...)."""


class _Retry(Exception):
    """An attempt that may succeed later: ``wait`` is what the server asked for (None: back off)."""

    def __init__(self, reason: str, wait: float | None, status: int | None):
        super().__init__(reason)
        self.reason, self.wait, self.status = reason, wait, status


class ApiClient:
    """JSON requests against one API base URL with the credentials already in ``auth`` or ``headers``.

    ``credential_env`` names the environment variable(s) a refused request should tell the user to check;
    ``secrets`` are strings redacted from every message (so are the values of credential headers)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        credential_env: str,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        timeout: float = 30.0,
        secrets: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self.credential_env = credential_env
        self.max_attempts = max_attempts
        self._progress = progress
        self._sleep = sleep
        self._clock = clock
        header_values = [v for k, v in (headers or {}).items() if v and _SECRET_HEADER.search(k)]
        words = [w for v in header_values for w in v.split() if len(w) >= 8]  # the token of "Bearer <token>"
        self._secrets = tuple(sorted({s for s in (*secrets, *header_values, *words) if s}, key=len, reverse=True))
        self._client = httpx.Client(
            base_url=self.base_url, auth=auth, headers=headers, timeout=timeout, follow_redirects=True
        )
        self._host = httpx.URL(self.base_url).host

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r}, credentials from {self.credential_env})"

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON of GET ``path`` (relative to the base URL, or an absolute URL on the same host)."""
        return self._json(self._send("GET", path, params=params))

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """The JSON of POST ``body`` to ``path`` (a GraphQL query)."""
        return self._json(self._send("POST", path, body=body))

    def get_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """The JSON of every page of GET ``path``, following the Link header's rel="next" on the same host."""
        url: str | None = path
        while url is not None:
            response = self._send("GET", url, params=params)
            yield self._json(response)
            url = response.links.get("next", {}).get("url")
            if url is None and response.headers.get("X-Next-Page", "").strip().isdigit():  # GitLab without Link
                url = str(response.url.copy_set_param("page", response.headers["X-Next-Page"].strip()))
            params = None  # the next link carries its own query
            if url is not None and httpx.URL(url).host not in ("", self._host):
                raise ExtractError(self._redact(f"{self._where('GET', path)}: the next page is on another host "
                                                f"({httpx.URL(url).host}); not following it with the credentials"))

    # -- one request, retried ------------------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        where = self._where(method, url)
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            sleep=self._sleep,
            before_sleep=lambda state: self._say_retry(where, state),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, where, params, body)
        except _Retry as exc:
            raise ExtractError(
                self._redact(f"{where}: {exc.reason}, {self.max_attempts} attempts failed; the output was left as "
                             "it was"),
                status=exc.status,
            ) from None
        raise AssertionError("unreachable: tenacity either returned or raised")  # pragma: no cover

    def _once(
        self, method: str, url: str, where: str, params: dict[str, Any] | None, body: dict[str, Any] | None
    ) -> httpx.Response:
        try:
            response = self._client.request(method, url, params=params, json=body)
        except httpx.TransportError as exc:
            raise _Retry(f"could not reach {self._host} ({type(exc).__name__})", None, None) from None
        status = response.status_code
        limited = self._rate_limited(response)
        if status in RETRIED_STATUSES or (status == 403 and (limited or "Retry-After" in response.headers)):
            raise _Retry(f"answered {status} {response.reason_phrase}".rstrip(), self._asked_wait(response, where),
                         status)
        if status in (401, 403):
            raise ExtractCredentialsError(self._redact(
                f"{where} answered {status} {response.reason_phrase}: the credentials were refused or may not read "
                f"this; check {self.credential_env}"
            ), status=status)
        if status >= 400:
            detail = response.text.strip().replace("\n", " ")[:DETAIL_CHARS]
            raise ExtractError(
                self._redact(f"{where} answered {status} {response.reason_phrase}" + (f": {detail}" if detail else "")),
                status=status,
            )
        if limited:
            wait = self._reset_wait(response, where)
            if wait:
                self._say(f"rate limit of {self._host} reached: waiting {wait:.0f}s until it resets")
                self._sleep(wait)
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.wait is not None:
            return exc.wait
        return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (state.attempt_number - 1))

    def _say_retry(self, where: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.reason if isinstance(exc, _Retry) else "failed"
        wait = state.next_action.sleep if state.next_action else 0.0
        self._say(f"{where}: {reason}; retrying in {wait:.0f}s (attempt {state.attempt_number + 1} of "
                  f"{self.max_attempts})")

    # -- rate limits ---------------------------------------------------------------------------------------------

    @staticmethod
    def _rate_limited(response: httpx.Response) -> bool:
        return _first_header(response, REMAINING_HEADERS).strip() == "0"

    def _asked_wait(self, response: httpx.Response, where: str) -> float | None:
        """Seconds the server asked to wait (Retry-After, else the rate limit's reset), None when it asked none."""
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            wait = _seconds_until(retry_after.strip(), self._clock())
            if wait is not None:
                return self._bounded(wait, where)
        if self._rate_limited(response):
            return self._reset_wait(response, where)
        return None

    def _reset_wait(self, response: httpx.Response, where: str) -> float | None:
        reset = _first_header(response, RESET_HEADERS)
        wait = _reset_seconds(reset.strip(), self._clock()) if reset else None
        return None if wait is None else self._bounded(wait, where)

    def _bounded(self, wait: float, where: str) -> float:
        if wait > MAX_WAIT:
            raise ExtractError(self._redact(f"{where}: the server asks to wait {wait:.0f}s (more than {MAX_WAIT:.0f}s) "
                                            "before the next request; try again later"), status=429)
        return max(0.0, wait)

    # -- messages ------------------------------------------------------------------------------------------------

    def _where(self, method: str, url: str) -> str:
        """METHOD host/path, without the query (it may hold user text or, for some APIs, a key)."""
        parsed = httpx.URL(url)
        path = parsed.path if parsed.host else httpx.URL(self.base_url + "/" + url.lstrip("/")).path
        return f"{method} {self._host}{path}"

    def _say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(self._redact(message))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise ExtractError(self._redact(
                f"{self._where(response.request.method, str(response.request.url))} answered "
                f"{response.status_code} with a body that is not JSON ({kind})"
            ), status=response.status_code) from None


def _first_header(response: httpx.Response, names: tuple[str, ...]) -> str:
    return next((response.headers[n] for n in names if n in response.headers), "")


def _seconds_until(value: str, now: float) -> float | None:
    """Retry-After: delta seconds or an HTTP date; None when it is neither."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError):
        return None


def _reset_seconds(value: str, now: float) -> float | None:
    """A rate limit's reset: epoch seconds (GitHub, GitLab), epoch milliseconds (Linear), or an ISO-8601 time (Jira
    Cloud)."""
    try:
        number = float(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
        except ValueError:
            return None
    if number > 1e11:  # milliseconds
        number /= 1000
    return number - now
