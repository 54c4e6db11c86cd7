"""Waiting for a queued prompt: ``GET /history/{prompt_id}`` is the source of truth.

Polled with backoff under an overall deadline. A prompt that is in neither the history nor the
queue was lost (the server restarted): it is reported, never re-sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.backends.comfyui import errors
from adapters.backends.comfyui.client import ComfyClient

FIRST_DELAY = 0.05
MAX_DELAY = 1.0
BACKOFF = 1.5


@dataclass(frozen=True, slots=True)
class OutputFile:
    node_id: str
    filename: str
    subfolder: str
    type: str


@dataclass(frozen=True, slots=True)
class Finished:
    """A prompt's history entry once it succeeded: its files per SaveImage node and its timing."""

    files: Mapping[str, tuple[OutputFile, ...]]
    execution_ms: int | None
    cached_nodes: tuple[str, ...]


def entry_of(client: ComfyClient, prompt_id: str) -> dict[str, Any] | None:
    body = client.get_json(f"/history/{prompt_id}")
    if not isinstance(body, dict):
        raise errors.bad_answer(client.url, "GET /history", "something other than an object")
    entry = body.get(prompt_id)
    return entry if isinstance(entry, dict) else None


def queued(client: ComfyClient, prompt_id: str) -> bool:
    """Whether ``prompt_id`` is running or waiting in ``GET /queue``."""
    body = client.get_json("/queue")
    if not isinstance(body, dict):
        raise errors.bad_answer(client.url, "GET /queue", "something other than an object")
    for key in ("queue_running", "queue_pending"):
        items = body.get(key)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, list) and len(item) > 1 and item[1] == prompt_id:
                return True
    return False


def running_state(client: ComfyClient, prompt_id: str) -> str:
    """ "running", "pending", "gone", or "unknown" when the queue cannot be read; never raises."""
    try:
        body = client.get_json("/queue")
    except Exception:
        return "unknown"
    if not isinstance(body, dict):
        return "unknown"
    for key, state in (("queue_running", "running"), ("queue_pending", "pending")):
        items = body.get(key)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, list) and len(item) > 1 and item[1] == prompt_id:
                return state
    return "gone"


def wait_for(
    client: ComfyClient,
    prompt_id: str,
    *,
    deadline_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Finished:
    """Poll until the prompt's history entry is complete; raise BackendError for every failure."""
    give_up = clock() + deadline_seconds
    delay = FIRST_DELAY
    while True:
        entry = entry_of(client, prompt_id)
        if entry is None and not queued(client, prompt_id):
            entry = entry_of(client, prompt_id)  # it may have finished between the two reads
            if entry is None:
                raise errors.forgotten(client.url, prompt_id)
        if entry is not None:
            finished = read_entry(entry, prompt_id)
            if finished is not None:
                return finished
        if clock() >= give_up:
            raise errors.deadline(client.url, prompt_id, deadline_seconds)
        sleep(min(delay, max(0.0, give_up - clock())))
        delay = min(MAX_DELAY, delay * BACKOFF)


def read_entry(entry: dict[str, Any], prompt_id: str) -> Finished | None:
    """A history entry: None while it is incomplete, Finished once it succeeded; a failure raises."""
    status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
    assert isinstance(status, dict)
    messages = [m for m in status.get("messages") or [] if isinstance(m, list) and len(m) == 2]
    by_type = {m[0]: m[1] if isinstance(m[1], dict) else {} for m in messages}
    if "execution_error" in by_type:
        raise errors.execution_error(by_type["execution_error"])
    if "execution_interrupted" in by_type:
        raise errors.interrupted_on_server(prompt_id)
    if status.get("status_str") == "error":
        raise errors.execution_error({"exception_message": "the history marks the prompt as failed"})
    if status and not status.get("completed"):
        return None
    started = by_type.get("execution_start", {}).get("timestamp")
    ended = by_type.get("execution_success", {}).get("timestamp")
    cached = by_type.get("execution_cached", {}).get("nodes")
    return Finished(
        files=_files(entry.get("outputs")),
        execution_ms=int(ended - started)
        if isinstance(started, int | float) and isinstance(ended, int | float)
        else None,
        cached_nodes=tuple(str(n) for n in cached) if isinstance(cached, list) else (),
    )


def _files(outputs: Any) -> dict[str, tuple[OutputFile, ...]]:
    files: dict[str, tuple[OutputFile, ...]] = {}
    for node_id, output in (outputs or {}).items() if isinstance(outputs, dict) else ():
        images = output.get("images") if isinstance(output, dict) else None
        files[str(node_id)] = tuple(
            OutputFile(
                node_id=str(node_id),
                filename=str(item["filename"]),
                subfolder=str(item.get("subfolder") or ""),
                type=str(item.get("type") or "output"),
            )
            for item in images or []
            if isinstance(item, dict) and isinstance(item.get("filename"), str)
        )
    return files
