"""FilelockPlanLock: one runner per plan, by an OS lock on a file beside the records.

The lock is ``<folder>/.plan-<sha256 of the name, 16 hex digits>.lock`` (filelock's OS lock,
released by the kernel when the holder dies); the holder writes its pid and host to
``<lock>.owner`` so a second runner can name it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from domain.plan import PlanBusy
from domain.ports import PlanLock


class FilelockPlanLock(PlanLock):
    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)

    def path_for(self, plan_name: str) -> Path:
        digest = hashlib.sha256(plan_name.encode("utf-8")).hexdigest()[:16]
        return self._folder / f".plan-{digest}.lock"

    @contextlib.contextmanager
    def hold(self, plan_name: str) -> Iterator[None]:
        path = self.path_for(plan_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        owner = path.with_name(path.name + ".owner")
        lock = FileLock(path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise PlanBusy(plan_name, _holder(owner)) from None
        try:
            owner.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}), encoding="utf-8")
            yield
        finally:
            with contextlib.suppress(OSError):
                owner.unlink()
            lock.release()


def _holder(owner: Path) -> str:
    try:
        data = json.loads(owner.read_text(encoding="utf-8"))
        return f"pid {int(data['pid'])} on {data['host']!s}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process; its pid is not known yet"
