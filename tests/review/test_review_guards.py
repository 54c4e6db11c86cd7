"""The review server's guards over real sockets: no request smuggling, bounded bodies, JSON and time.

Each hostile request is written by hand on a raw socket, because a well-behaved client cannot send
it; the proof that nothing got through is the feedback file on disk.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.review.limits import ServerLimits
from tests.review.raw_http import exchange, feedback_request, read_all, request_bytes, trickle
from tests.review.review_home import ReviewHome, start_review

SHORT = ServerLimits(body_timeout=0.5, header_timeout=0.5)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[ReviewHome]:
    review = start_review(tmp_path, count=3, limits=SHORT)
    yield review
    review.server.stop()


def stored_events(home: ReviewHome) -> list[str]:
    return home.feedback_path.read_text().splitlines() if home.feedback_path.exists() else []


def smuggled_note(home: ReviewHome) -> bytes:
    return feedback_request(
        home.server.port, {"kind": "note", "run_id": home.specs[0].run_id, "note": "smuggled"}
    )


def post(home: ReviewHome, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", home.server.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{home.server.port}", "Content-Type": "application/json", **(headers or {})}
    connection.request("POST", "/api/feedback", body=body, headers=sent)
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    return response.status, payload


def test_a_well_formed_note_over_a_raw_socket_is_stored(home: ReviewHome) -> None:
    """The control case: the smuggled request below is itself valid and would be stored if it got in."""
    port = home.server.port
    result = exchange(port, smuggled_note(home), request_bytes(port, "GET", "/", {"Connection": "close"}))
    assert [r.status for r in result.responses] == [200, 200]
    assert [json.loads(line)["note"] for line in stored_events(home)] == ["smuggled"]


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        (
            {"Origin": "http://evil.example", "Content-Type": "text/plain"},
            403,
            "cross-origin request refused",
        ),
        ({"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, 403, "cross-site request refused"),
        ({"Content-Type": "text/plain"}, 415, "send application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "send application/json"),
    ],
)
def test_a_refused_post_cannot_smuggle_a_request_in_its_body(
    home: ReviewHome, headers: dict[str, str], status: int, error: str
) -> None:
    outer = request_bytes(home.server.port, "POST", "/api/feedback", headers, smuggled_note(home))
    result = exchange(home.server.port, outer)
    assert stored_events(home) == []
    assert [r.status for r in result.responses] == [status]
    assert result.responses[0].json() == {"error": error}
    assert result.responses[0].headers["connection"] == "close"
    assert result.closed


def test_a_foreign_host_cannot_smuggle_a_request_in_its_body(home: ReviewHome) -> None:
    inner = smuggled_note(home)
    outer = (
        f"POST /api/feedback HTTP/1.1\r\nHost: rebound.example:{home.server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(inner)}\r\n\r\n"
    ).encode() + inner
    result = exchange(home.server.port, outer)
    assert stored_events(home) == []
    assert [r.status for r in result.responses] == [403]
    assert result.responses[0].json() == {"error": "unexpected Host header"}
    assert result.closed


def test_a_body_on_a_kept_alive_connection_is_only_ever_a_body(home: ReviewHome) -> None:
    """HTTP framing is uvicorn's (h11): a GET's unused body is read and dropped, never parsed as a request."""
    port = home.server.port
    get_with_body = request_bytes(port, "GET", "/api/runs?limit=1", {}, smuggled_note(home))
    last = request_bytes(port, "GET", "/api/runs?limit=1", {"Connection": "close"})
    result = exchange(port, get_with_body, last)
    assert stored_events(home) == []
    assert [r.status for r in result.responses] == [200, 200]


def test_an_oversized_body_is_refused_by_its_length_and_cannot_smuggle(home: ReviewHome) -> None:
    inner = smuggled_note(home)
    headers = {"Content-Type": "application/json", "Content-Length": str(SHORT.max_body + 1)}
    outer = request_bytes(home.server.port, "POST", "/api/feedback", headers)
    result = exchange(home.server.port, outer, inner)
    assert stored_events(home) == []
    assert [r.status for r in result.responses] == [413]
    assert result.responses[0].json() == {"error": f"the body is larger than {SHORT.max_body} bytes"}
    assert result.closed


def test_a_chunked_body_is_refused_once_it_grows_too_large(home: ReviewHome) -> None:
    port = home.server.port
    head = request_bytes(
        port, "POST", "/api/feedback", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    size = SHORT.max_body + 1
    chunk = f"{size:x}\r\n".encode() + b"[" + b" " * (size - 2) + b"]"
    result = exchange(port, head, chunk)  # the chunk's end and the last chunk are never sent
    assert stored_events(home) == []
    assert [r.status for r in result.responses] == [413]
    assert result.responses[0].json() == {"error": f"the body is larger than {SHORT.max_body} bytes"}
    assert result.closed


def test_a_small_chunked_body_is_accepted(home: ReviewHome) -> None:
    port = home.server.port
    body = json.dumps({"kind": "rating", "run_id": home.specs[1].run_id, "rating": 2}).encode()
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked", "Connection": "close"}
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    result = exchange(port, request_bytes(port, "POST", "/api/feedback", headers) + chunked)
    assert [r.status for r in result.responses] == [200]
    assert [json.loads(line)["rating"] for line in stored_events(home)] == [2]


def test_deep_json_is_refused_without_parsing_it(home: ReviewHome) -> None:
    status, payload = post(home, b"[" * 20_000 + b"]" * 20_000)
    assert (status, payload) == (400, {"error": "the body is nested deeper than 64 levels"})
    status, payload = post(home, b'{"kind": ' + b"[" * 65 + b"]" * 65 + b"}")
    assert (status, payload) == (400, {"error": "the body is nested deeper than 64 levels"})
    # brackets inside strings are text, not nesting
    note = {"kind": "note", "run_id": home.specs[0].run_id, "note": "[" * 100}
    status, payload = post(home, json.dumps(note).encode())
    assert status == 200, payload
    assert json.loads(stored_events(home)[0])["note"] == "[" * 100


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b'{"kind": "note", "note": "\xff"}', b"[1, NaN]", b'"\\ud800'],
)
def test_a_body_that_is_not_json_is_refused(home: ReviewHome, body: bytes) -> None:
    assert post(home, body) == (400, {"error": "the body is not JSON"})
    assert stored_events(home) == []


def test_a_note_with_a_lone_surrogate_is_refused_as_not_json(home: ReviewHome) -> None:
    """Text the feedback file cannot hold is refused on the way in, not failed (500) on the way down."""
    note = b'{"kind": "note", "run_id": "%s", "note": "\\ud800"}' % home.specs[0].run_id.encode()
    assert post(home, note) == (400, {"error": "the body is not JSON"})
    assert stored_events(home) == []


def test_a_stalled_body_times_out_with_408(home: ReviewHome) -> None:
    port = home.server.port
    head = request_bytes(port, "POST", "/api/feedback", {"Content-Type": "application/json"}, b"x" * 100)
    result = exchange(port, head[:-90])  # headers and 10 of the 100 bytes promised
    assert [(r.status, r.json()["error"]) for r in result.responses] == [
        (408, "the request body did not arrive in time")
    ]
    assert result.closed


def test_a_body_sent_a_byte_at_a_time_still_times_out(home: ReviewHome) -> None:
    """The body's deadline is for all of it: bytes that keep arriving do not extend it."""
    port = home.server.port
    head = request_bytes(
        port, "POST", "/api/feedback", {"Content-Type": "application/json", "Content-Length": "1000"}
    )
    result = trickle(port, head, b" " * 600)
    assert [r.status for r in result.responses] == [408]
    assert result.closed


def test_headers_sent_a_byte_at_a_time_still_time_out(home: ReviewHome) -> None:
    result = trickle(home.server.port, b"GET /api/runs HTTP/1.1\r\n", b"X-Slow: " + b"z" * 600)
    assert result.responses == []
    assert result.closed


@pytest.mark.parametrize("sent", [b"", b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1"])
def test_stalled_headers_time_out(home: ReviewHome, sent: bytes) -> None:
    result = exchange(home.server.port, sent)
    assert result.responses == []
    assert result.closed


def test_many_stalled_clients_hold_no_threads_and_do_not_block_others(tmp_path: Path) -> None:
    review = start_review(tmp_path, count=3, limits=ServerLimits(body_timeout=60, header_timeout=60))
    port = review.server.port
    threads_before = threading.active_count()
    stalled: list[socket.socket] = []
    try:
        for n in range(300):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            stalled.append(sock)
            if n % 2:
                sock.sendall(f"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
            else:
                head = request_bytes(
                    port, "POST", "/api/feedback", {"Content-Type": "application/json"}, b"{}"
                )
                sock.sendall(head[:-1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/runs?limit=2", headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        assert response.status == 200
        assert len(json.loads(response.read())["runs"]) == 2
        connection.close()
        assert threading.active_count() - threads_before < 20
    finally:
        for sock in stalled:
            sock.close()
        review.server.stop()


def test_connections_beyond_the_limit_get_503_until_stalled_ones_time_out(tmp_path: Path) -> None:
    limits = ServerLimits(body_timeout=0.5, header_timeout=0.5, max_connections=4)
    review = start_review(tmp_path, count=3, limits=limits)
    port = review.server.port
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    try:
        get = request_bytes(port, "GET", "/api/runs?limit=1", {"Connection": "close"})
        assert [r.status for r in exchange(port, get).responses] == [503]
        for sock in stalled:
            assert read_all(sock).closed  # each stalled client is dropped after the header timeout
        assert [r.status for r in exchange(port, get).responses] == [200]
    finally:
        for sock in stalled:
            sock.close()
        review.server.stop()


def test_pipelined_good_requests_share_one_connection(home: ReviewHome) -> None:
    port = home.server.port
    get = request_bytes(port, "GET", "/api/runs?limit=1", {})
    last = request_bytes(port, "GET", "/api/runs?limit=1", {"Connection": "close"})
    result = exchange(port, get, smuggled_note(home), last)
    assert [r.status for r in result.responses] == [200, 200, 200]
    assert len(stored_events(home)) == 1
