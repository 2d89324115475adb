"""The extract's HTTP client against a local server (pytest-httpserver on 127.0.0.1): retries with backoff on
429/5xx and transport errors, Retry-After and rate-limit resets honoured, Link pagination, and errors that name the
credential variable but never hold the token."""

from __future__ import annotations

import socket

import httpx
import pytest
from pytest_httpserver import HTTPServer

from flowmetrics.errors import ExtractCredentialsError, ExtractError
from flowmetrics.extract.http import MAX_WAIT, ApiClient
from tests.python.extract.tracker_checks import Recorder

TOKEN = "tok-SECRET-4242-abcdef"


def client(server: HTTPServer, rec: Recorder, **kwargs: object) -> ApiClient:
    return ApiClient(
        server.url_for(""), auth=httpx.BasicAuth("me@example.com", TOKEN), credential_env="JIRA_API_TOKEN",
        progress=rec.say, sleep=rec.sleep, secrets=(TOKEN,), **kwargs,  # type: ignore[arg-type]
    )


def chain_text(exc: BaseException) -> str:
    """str and repr of an exception and every exception it was raised from or during."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_429_with_retry_after_waits_that_long_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/items").respond_with_data("slow down", status=429,
                                                                  headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/items").respond_with_json({"ok": True})
    rec = Recorder()
    assert client(httpserver, rec).get_json("/items") == {"ok": True}
    assert rec.sleeps == [7.0]
    assert any("429" in m and "retrying in 7s (attempt 2 of 5)" in m for m in rec.messages), rec.messages


def test_500_then_success_backs_off_exponentially(httpserver: HTTPServer) -> None:
    for _ in range(2):
        httpserver.expect_ordered_request("/items").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/items").respond_with_json([1, 2])
    rec = Recorder()
    assert client(httpserver, rec).get_json("/items") == [1, 2]
    assert rec.sleeps == [1.0, 2.0]


def test_persistent_5xx_fails_with_exit_1_after_max_attempts(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data("down", status=503)
    rec = Recorder()
    with pytest.raises(ExtractError) as caught:
        client(httpserver, rec, max_attempts=3).get_json("/items", params={"q": "x"})
    assert caught.value.exit_code == 1 and caught.value.status == 503
    assert f"GET {httpserver.host}/items: answered 503" in str(caught.value)
    assert "q=x" not in str(caught.value)  # the query (user text, or some APIs' keys) stays out of messages
    assert "3 attempts failed" in str(caught.value)
    assert rec.sleeps == [1.0, 2.0]


def test_transport_errors_are_retried_then_fail_naming_the_host() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rec = Recorder()
    api = ApiClient(f"http://127.0.0.1:{port}", credential_env="X_TOKEN", sleep=rec.sleep, progress=rec.say,
                    max_attempts=3, timeout=2)
    with pytest.raises(ExtractError) as caught:
        api.get_json("/x")
    assert caught.value.exit_code == 1
    assert "could not reach 127.0.0.1" in str(caught.value)
    assert rec.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_exit_2_name_the_variable_and_never_the_token(httpserver: HTTPServer,
                                                                           status: int) -> None:
    httpserver.expect_request("/me").respond_with_data(f"bad token {TOKEN}", status=status)
    rec = Recorder()
    api = ApiClient(httpserver.url_for(""), headers={"Authorization": f"Bearer {TOKEN}"},
                    credential_env="JIRA_API_TOKEN", progress=rec.say, sleep=rec.sleep)
    with pytest.raises(ExtractCredentialsError) as caught:
        api.get_json("/me")
    assert caught.value.exit_code == 2 and caught.value.status == status
    assert "JIRA_API_TOKEN" in str(caught.value)
    assert TOKEN not in chain_text(caught.value)
    assert TOKEN not in "\n".join(rec.messages) and TOKEN not in repr(api)
    assert rec.sleeps == []  # not retried


def test_a_private_token_header_is_redacted_and_other_headers_are_not(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/q").respond_with_data(f"no: {TOKEN} / application/json", status=422)
    api = ApiClient(httpserver.url_for(""), headers={"PRIVATE-TOKEN": TOKEN, "Accept": "application/json"},
                    credential_env="GITLAB_TOKEN", sleep=Recorder().sleep)
    with pytest.raises(ExtractError) as caught:
        api.get_json("/q")
    assert TOKEN not in str(caught.value) and "application/json" in str(caught.value)


def test_an_error_body_echoing_the_token_is_redacted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search").respond_with_json({"errorMessages": [f"token {TOKEN} is odd"]},
                                                           status=400)
    with pytest.raises(ExtractError) as caught:
        client(httpserver, Recorder()).get_json("/search")
    assert "400" in str(caught.value) and "errorMessages" in str(caught.value)
    assert TOKEN not in chain_text(caught.value) and "***" in str(caught.value)


def test_an_exhausted_rate_limit_waits_until_its_reset_and_says_so(httpserver: HTTPServer) -> None:
    now = 1_700_000_000.0
    httpserver.expect_request("/items").respond_with_json(
        [1], headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 30)}
    )
    rec = Recorder()
    assert client(httpserver, rec, clock=lambda: now).get_json("/items") == [1]
    assert rec.sleeps == [30.0]
    assert any("rate limit" in m and "waiting 30s" in m for m in rec.messages), rec.messages


def test_a_403_with_an_exhausted_rate_limit_is_retried_after_the_reset(httpserver: HTTPServer) -> None:
    now = 1_700_000_000.0
    httpserver.expect_ordered_request("/items").respond_with_data(
        "limit", status=403, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 12)}
    )
    httpserver.expect_ordered_request("/items").respond_with_json({"ok": 1})
    rec = Recorder()
    assert client(httpserver, rec, clock=lambda: now).get_json("/items") == {"ok": 1}
    assert rec.sleeps == [12.0]


def test_a_wait_longer_than_the_bound_fails_instead_of_hanging(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data("", status=429, headers={"Retry-After": str(MAX_WAIT + 1)})
    rec = Recorder()
    with pytest.raises(ExtractError, match="try again later"):
        client(httpserver, rec).get_json("/items")
    assert rec.sleeps == []


def test_get_pages_follows_link_next(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("/repos/items")
    httpserver.expect_request("/repos/items", query_string="per_page=2").respond_with_json(
        [1, 2], headers={"Link": f'<{base}?page=2&per_page=2>; rel="next", <{base}?page=3&per_page=2>; rel="last"'})
    httpserver.expect_request("/repos/items", query_string="page=2&per_page=2").respond_with_json(
        [3, 4], headers={"Link": f'<{base}?page=3&per_page=2>; rel="next"'})
    httpserver.expect_request("/repos/items", query_string="page=3&per_page=2").respond_with_json([5])
    pages = list(client(httpserver, Recorder()).get_pages("/repos/items", params={"per_page": 2}))
    assert pages == [[1, 2], [3, 4], [5]]


def test_get_pages_refuses_a_next_link_to_another_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_json(
        [1], headers={"Link": '<http://elsewhere.example/items?page=2>; rel="next"'})
    pages = client(httpserver, Recorder()).get_pages("/items")
    assert next(pages) == [1]
    with pytest.raises(ExtractError, match="another host"):
        next(pages)


def test_post_json_sends_the_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/graphql", method="POST", json={"query": "{ a }"}).respond_with_json({"data": 1})
    assert client(httpserver, Recorder()).post_json("/graphql", {"query": "{ a }"}) == {"data": 1}


def test_gitlab_and_linear_rate_limit_headers_are_read(httpserver: HTTPServer) -> None:
    now = 1_700_000_000.0
    httpserver.expect_ordered_request("/a").respond_with_json(
        [1], headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(now) + 20)})
    httpserver.expect_ordered_request("/b").respond_with_json(
        [2], headers={"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": str(int(now * 1000) + 9000)})
    rec = Recorder()
    api = client(httpserver, rec, clock=lambda: now)
    assert api.get_json("/a") == [1] and api.get_json("/b") == [2]
    assert rec.sleeps == [20.0, 9.0]


def test_a_403_with_retry_after_is_a_secondary_rate_limit_not_a_refusal(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/items").respond_with_data("slow", status=403, headers={"Retry-After": "4"})
    httpserver.expect_ordered_request("/items").respond_with_json({"ok": 1})
    rec = Recorder()
    assert client(httpserver, rec).get_json("/items") == {"ok": 1}
    assert rec.sleeps == [4.0]
