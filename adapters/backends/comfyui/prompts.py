"""One prompt's life on a ComfyUI server: queued once, waited for, its images fetched, or stopped.

``/history`` is the source of truth; the websocket (when it speaks) only wakes the wait early.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from PIL import Image, UnidentifiedImageError

from adapters.backends.comfyui import errors, graphs
from adapters.backends.comfyui.client import ComfyClient
from adapters.backends.comfyui.events import ProgressEvents
from adapters.backends.comfyui.history import Finished, entry_of, queued, running_state, wait_for
from domain.errors import GenerationInterrupted
from domain.images import ImageData
from domain.run import StageProgress

logger = logging.getLogger(__name__)
_NAMESPACE = uuid.UUID("6d0c1f0e-8c55-4b39-9a57-4a8a5c1b7e21")
T = TypeVar("T")


def prompt_id_for(run_id: str, stage: str, number: int) -> str:
    """The prompt id of call ``number`` (from 0) of ``stage`` in run ``run_id``: the same request
    always has the same id, so one already queued is recognised instead of queued again."""
    return str(uuid.uuid5(_NAMESPACE, f"{run_id}/{stage}/{number}"))


class PromptQueue:
    """Runs graphs on one server as one client (``client_id``), one prompt at a time."""

    def __init__(
        self,
        client: ComfyClient,
        events: ProgressEvents | None,
        *,
        client_id: str,
        deadline: float,
        sleep: Callable[[float], None],
    ) -> None:
        self._client = client
        self._events = events
        self._client_id = client_id
        self._deadline = deadline
        self._sleep = sleep
        self._waiting_for: str | None = None

    def progress(self) -> StageProgress | None:
        """The websocket's progress of the prompt being waited for; None when there is none."""
        prompt_id, events = self._waiting_for, self._events
        if prompt_id is None or events is None:
            return None
        return events.progress(prompt_id)

    def run(
        self, graph: graphs.Graph, prompt_id: str, *, seeds: list[int | None]
    ) -> tuple[list[ImageData], dict[str, Any]]:
        """Queue ``graph`` as ``prompt_id`` (unless the server knows that id already), wait, fetch
        its images (image ``i`` of SaveImage node ``i`` gets ``seeds[i]``), delete the history
        entry. Returns the images and the timing, whose ``prompt_id`` is the id really queued."""
        started = time.monotonic()
        if self._events is not None:
            self._events.start()
        self._waiting_for = prompt_id
        try:
            prompt_id, finished = self._interruptible(
                prompt_id, lambda: self._queue_and_wait(graph, prompt_id)
            )
        finally:
            self._waiting_for = None
            if self._events is not None:
                self._events.forget(prompt_id)
        images = self._fetch(graph, finished, prompt_id, seeds)
        self._client.control("/history", {"delete": [prompt_id]})
        timing = {
            "prompt_id": prompt_id,
            "wall_ms": int((time.monotonic() - started) * 1000),
            "execution_ms": finished.execution_ms,
            "cached_nodes": list(finished.cached_nodes),
        }
        return images, timing

    def _queue_and_wait(self, graph: graphs.Graph, prompt_id: str) -> tuple[str, Finished]:
        """Queue ``graph`` unless its id is already known to the server (a request seen again is
        waited for, never queued twice), then wait for its history entry."""
        if entry_of(self._client, prompt_id) is None and not queued(self._client, prompt_id):
            prompt_id = self._submit(graph, prompt_id)
            self._waiting_for = prompt_id
        else:
            logger.info("prompt %s is already known to ComfyUI: waiting for it, not re-sending", prompt_id)
        finished = wait_for(
            self._client, prompt_id, deadline_seconds=self._deadline, sleep=self._pause(prompt_id)
        )
        return prompt_id, finished

    def _pause(self, prompt_id: str) -> Callable[[float], None]:
        """Between two reads of the history: until the socket says the prompt ended, if it is
        connected, else a plain sleep (a silent socket costs nothing but the backoff)."""
        events = self._events

        def pause(seconds: float) -> None:
            if events is not None and events.ended(prompt_id):
                self._sleep(min(seconds, 0.05))  # the history may lag the socket by a moment
            elif events is not None and events.connected:
                events.wait_until_ended(prompt_id, seconds)
            else:
                self._sleep(seconds)

        return pause

    def _submit(self, graph: graphs.Graph, prompt_id: str) -> str:
        status, body = self._client.post_json(
            "/prompt", {"prompt": graph, "client_id": self._client_id, "prompt_id": prompt_id}
        )
        if status == 400 and isinstance(body, dict):
            raise errors.prompt_refused(body, queued=False)
        if not 200 <= status < 300:
            raise errors.from_status(self._client.url, "POST /prompt", status, body)
        if not isinstance(body, dict):
            raise errors.bad_answer(self._client.url, "POST /prompt", "something other than an object")
        answered = body.get("prompt_id")
        queued_id = answered if isinstance(answered, str) and answered else prompt_id
        if body.get("node_errors"):
            self._cancel(queued_id)
            raise errors.prompt_refused(body, queued=True)
        return queued_id

    def _cancel(self, prompt_id: str) -> bool:
        """Stop this prompt and only it: removed from the queue if waiting; ``/interrupt`` with its
        id only while the server runs it (an older ComfyUI ignores the id and would stop another
        client's job). Never raises; True when the prompt is no longer running or queued."""
        state = running_state(self._client, prompt_id)
        stopped = True
        if state == "running":
            stopped = self._client.control("/interrupt", {"prompt_id": prompt_id})
        if state != "gone":
            stopped = self._client.control("/queue", {"delete": [prompt_id]}) and stopped
        return stopped

    def _interruptible(self, prompt_id: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except KeyboardInterrupt:
            self._client.reset()  # the interrupted call may have left its connection half-read
            stopped = self._cancel(self._waiting_for or prompt_id)
            logger.info("prompt %s interrupted by the user; server told to stop: %s", prompt_id, stopped)
            raise GenerationInterrupted(
                "interrupted by the user" + ("" if stopped else "; ComfyUI could not be told to stop")
            ) from None

    def _fetch(
        self, graph: graphs.Graph, finished: Finished, prompt_id: str, seeds: list[int | None]
    ) -> list[ImageData]:
        images: list[ImageData] = []
        for index, node_id in enumerate(graphs.save_nodes(graph)):
            for file in finished.files.get(node_id, ()):
                data = self._client.get_bytes(
                    "/view", {"filename": file.filename, "subfolder": file.subfolder, "type": file.type}
                )
                images.append(_image(data, seeds[index] if index < len(seeds) else None, self._client.url))
        if not images:
            raise errors.no_images(prompt_id)
        return images


def _image(data: bytes, seed: int | None, url: str) -> ImageData:
    """The bytes exactly as ComfyUI saved them; the size read from the header."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            text = opened.info.get("parameters")
    except (UnidentifiedImageError, OSError):
        raise errors.bad_answer(url, "GET /view", "bytes that are not an image") from None
    return ImageData(
        data=data, width=width, height=height, seed=seed, infotext=text if isinstance(text, str) else None
    )
