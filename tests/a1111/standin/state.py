"""The stand-in's state: what it serves, what is injected, and what it saw. Tests set and read it."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.a1111.standin import names

FAILURES = frozenset(
    {
        "no_checkpoint",  # generations fail: 500 FileNotFoundError "No checkpoints found"
        "unknown_upscaler",  # extras fail: 500 AssertionError "could not find upscaler named X"
        "missing_init_image",  # img2img ignores init_images: 404 "Init image not found"
        "out_of_memory",  # generations fail: 500 OutOfMemoryError
        "reject_steps",  # generations fail validation: 422 on body.steps
        "drop",  # generations: the connection closes halfway through the answer
        "not_json",  # generations answer 200 with an HTML page
    }
)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    body: Any
    authorization: str | None


@dataclass
class StandinState:
    """Everything a test may change. ``reset()`` restores the defaults between tests."""

    flavor: str = "a1111"
    credentials: tuple[str, str] | None = None
    delay: float = 0.0
    failure: str | None = None
    models: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(names.MODELS))
    current_model: str | None = names.MODELS[0]["title"]
    has_schedulers_route: bool | None = None  # None: as the flavor has it
    requests: list[SeenRequest] = field(default_factory=list)
    served: list[str] = field(default_factory=list)  # base64 of every image answered, in order
    interrupts: int = 0
    interrupted: bool = False
    job_running: bool = False
    progress: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        fresh = StandinState()
        self.interrupted = True  # end a slow job a previous test left running
        for name in (
            "flavor",
            "credentials",
            "delay",
            "failure",
            "models",
            "current_model",
            "has_schedulers_route",
        ):
            setattr(self, name, getattr(fresh, name))
        with self.lock:
            self.requests.clear()
            self.served.clear()
        self.interrupts = 0

    def inject(self, failure: str) -> None:
        if failure not in FAILURES:
            raise ValueError(f"unknown failure {failure!r}; known: {sorted(FAILURES)}")
        self.failure = failure

    def saw(self, request: SeenRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def seen(self, path: str, method: str | None = None) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    @property
    def serves_schedulers(self) -> bool:
        if self.has_schedulers_route is not None:
            return self.has_schedulers_route
        return self.flavor != "sdnext"
