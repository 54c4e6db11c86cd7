"""Real worker processes on one machine sharing a PostgreSQL queue: start, kill, restart, wait, read.

Each worker is ``stablenew worker`` in a process of its own, with a settings file of its own (the
models its fake backend has), all appending to one records file (as workers sharing a history do).
Every output of every process goes to a log file, so a test can search them all for the password.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue
from domain.jobs import JobState, QueueStatus
from tests.integration.cli import run_cli

HEARTBEAT = 0.5
STALLED_AFTER = 4.0  # eight heartbeats (the settings refuse under five): a loaded machine may delay one
DEADLINE = 300.0  # generous: the machine is shared and loaded


@dataclass
class Worker:
    name: str
    models: tuple[str, ...]
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    folder: Path
    dsn: str
    latency: float = 0.0
    kill_prompt: str = ""
    max_attempts: int = 3
    sink: str = "jsonl"
    workers: list[Worker] = field(default_factory=list)
    started: int = 0
    kills: int = 0

    @property
    def records_path(self) -> Path:
        return self.folder / "records" / "learning_records.jsonl"

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
        clean["COLUMNS"] = "200"
        clean["STABLENEW_POSTGRES__DSN"] = self.dsn
        return clean

    def settings(self, name: str, models: Sequence[str]) -> Path:
        path = self.folder / f"settings-{name}.toml"
        path.write_text(
            "\n".join(
                [
                    "[backend]",
                    f"fake_latency = {self.latency}",
                    f"fake_models = {json.dumps(list(models))}",
                    f"fake_kill_prompt = {json.dumps(self.kill_prompt)}",
                    "[learning]",
                    f"sink = {json.dumps(self.sink)}",
                    f"records_path = {json.dumps(str(self.records_path))}",
                    "[output]",
                    f"dir = {json.dumps(str(self.folder / 'output'))}",
                    "[queue]",
                    f"heartbeat_seconds = {HEARTBEAT}",
                    f"stalled_after_seconds = {STALLED_AFTER}",
                    f"max_attempts = {self.max_attempts}",
                    "poll_seconds = 0.5",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        return path

    def start(self, name: str, models: Sequence[str]) -> Worker:
        self.started += 1
        log = self.folder / f"worker-{name}-{self.started}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "adapters.cli", "worker", "--name", name),
                    *("--settings", str(self.settings(name, models))),
                ],
                cwd=self.folder,
                env=self.env(),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(name, tuple(models), process, log)
        self.workers.append(worker)
        return worker

    def cli(
        self, *args: str, models: Sequence[str] = ("fake-a", "fake-b")
    ) -> subprocess.CompletedProcess[str]:
        result = run_cli(
            *args, "--settings", str(self.settings("cli", models)), cwd=self.folder, env=self.env()
        )
        (self.folder / f"cli-{self.started}-{args[0]}.log").write_text(result.stdout + result.stderr)
        self.started += 1
        return result

    def queue(self) -> ProcrastinateJobQueue:
        return ProcrastinateJobQueue(self.dsn)

    def status(self) -> QueueStatus:
        queue = self.queue()
        try:
            return queue.status()
        finally:
            queue.close()

    def wait_for(
        self,
        condition: Callable[[QueueStatus], bool],
        *,
        what: str,
        on_poll: Callable[[QueueStatus], None] | None = None,
    ) -> QueueStatus:
        queue = self.queue()
        try:
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline:
                try:
                    status = queue.status()
                except Exception:  # the server restarting: ask again
                    time.sleep(0.3)
                    continue
                if condition(status):
                    return status
                if on_poll is not None:
                    on_poll(status)
                time.sleep(0.2)
            raise AssertionError(f"gave up waiting for {what}; worker logs:\n{self.logs()[-4000:]}")
        finally:
            queue.close()

    def wait_registered(self, count: int) -> None:
        self.wait_for(lambda s: len(s.workers) >= count, what=f"{count} registered workers")

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=30)

    def restart_dead(self, _status: QueueStatus | None = None) -> None:
        """Start a new worker (same name and models) for every one that died."""
        for worker in list(self.workers):
            if worker.process.poll() is not None and worker.process.returncode == -9:
                self.workers.remove(worker)
                self.kills += 1
                self.start(worker.name, worker.models)

    def wait_for_log(self, text: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while text not in self.logs():
            if time.monotonic() > deadline:
                raise AssertionError(f"no worker said {text!r}; logs:\n{self.logs()[-4000:]}")
            time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("*.log")))

    def executions(self) -> int:
        """Jobs a worker began (one ``started`` line each, whatever became of them)."""
        return sum(line.endswith(": started") for line in self.logs().splitlines())

    def records(self) -> list[dict[str, Any]]:
        if not self.records_path.exists():
            return []
        found = []
        for line in self.records_path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue  # a torn line a kill left; the store quarantines it on the next append
        return found


def all_done(total: int) -> Callable[[QueueStatus], bool]:
    def done(status: QueueStatus) -> bool:
        finished = status.total(JobState.SUCCEEDED) + status.total(JobState.FAILED)
        return finished >= total

    return done


def plan_text(
    name: str, models: Sequence[str], seeds: int, prompts: Sequence[str] = ("a lighthouse",)
) -> str:
    return f"""\
schema = 1
name = "{name}"
pack = "tests"
prompts = {json.dumps(list(prompts))}
seeds = {json.dumps(list(range(1, seeds + 1)))}

[base]
stages = "txt2img"
width = 64
height = 64
steps = 1

[[axes]]
key = "model"
values = {json.dumps(list(models))}
"""
