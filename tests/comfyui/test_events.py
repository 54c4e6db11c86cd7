"""The websocket reader on its own: URLs, what each event means, and sockets that fail."""

from __future__ import annotations

import json
import socket
import time

import pytest

from adapters.backends.comfyui.events import ProgressEvents, ws_url


@pytest.mark.parametrize(
    ("http", "ws"),
    [
        ("http://127.0.0.1:8188", "ws://127.0.0.1:8188/ws?clientId=abc"),
        ("https://gpu-box/comfy/", "wss://gpu-box/comfy/ws?clientId=abc"),
        ("http://127.0.0.1:8188/api", "ws://127.0.0.1:8188/api/ws?clientId=abc"),
    ],
)
def test_the_socket_url_follows_the_http_url(http: str, ws: str) -> None:
    assert ws_url(http, "abc") == ws


def message(kind: str, **data: object) -> str:
    return json.dumps({"type": kind, "data": data})


def test_progress_and_the_end_of_a_prompt_are_read_from_its_events() -> None:
    events = ProgressEvents("http://127.0.0.1:1", "me", None)

    events.take(message("status", status={"exec_info": {"queue_remaining": 1}}))  # no prompt id
    events.take(message("progress", value=3, max=12, prompt_id="p", node="3"))
    events.take("not json")
    assert events.progress("p") is not None
    assert (events.progress("p").step, events.progress("p").steps) == (3, 12)  # type: ignore[union-attr]
    assert events.progress("other") is None
    assert not events.ended("p")

    events.take(message("executing", node=None, prompt_id="p"))

    assert events.ended("p")
    started = time.monotonic()
    events.wait_until_ended("p", 5.0)
    assert time.monotonic() - started < 4.0  # not the 5 s asked: it had ended already
    events.forget("p")
    assert events.progress("p") is None
    assert not events.ended("p")


@pytest.mark.parametrize("kind", ["execution_success", "execution_error", "execution_interrupted"])
def test_every_final_event_ends_the_wait(kind: str) -> None:
    events = ProgressEvents("http://127.0.0.1:1", "me", None)

    events.take(message(kind, prompt_id="p"))

    assert events.ended("p")


def test_a_refused_socket_leaves_the_reader_unconnected_and_it_closes_cleanly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    events = ProgressEvents(f"http://127.0.0.1:{port}", "me", None)

    events.start()
    events.close()

    assert not events.connected
    assert events.progress("p") is None
