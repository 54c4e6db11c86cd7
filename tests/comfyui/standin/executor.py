"""Runs queued graphs one at a time on a worker thread, writing history entries as ComfyUI does."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from PIL import Image

from tests.comfyui.standin import pictures
from tests.comfyui.standin.state import Entry, StandinState


class Failure(Exception):
    def __init__(self, node_id: str, node_type: str, exception_type: str, message: str) -> None:
        super().__init__(message)
        self.node_id, self.node_type, self.exception_type = node_id, node_type, exception_type


class Interrupted(Exception):
    def __init__(self, node_id: str, node_type: str) -> None:
        super().__init__("interrupted")
        self.node_id, self.node_type = node_id, node_type


def now_ms() -> int:
    return int(time.time() * 1000)


class Executor:
    def __init__(self, state: StandinState) -> None:
        self.state = state
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="comfyui-standin-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.state.wake.set()
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        state = self.state
        while not self.stop.is_set():
            state.wake.wait(0.05)
            with state.lock:
                state.wake.clear()
                if state.running is not None or not state.pending:
                    continue
                entry = state.pending.pop(0)
                state.running = entry
                state.interrupt_flag = False
            try:
                self._execute(entry)
            finally:
                with state.lock:
                    if state.running is entry:
                        state.running = None

    def _execute(self, entry: Entry) -> None:
        state = self.state
        messages: list[list[Any]] = [
            ["execution_start", {"prompt_id": entry.prompt_id, "timestamp": now_ms()}]
        ]
        key = json.dumps(entry.graph, sort_keys=True)
        with state.lock:
            cached_outputs = state.cache.get(key)
        if cached_outputs is not None:  # identical prompt: every node cached, the old files answered
            messages.append(
                [
                    "execution_cached",
                    {"nodes": list(entry.graph), "prompt_id": entry.prompt_id, "timestamp": now_ms()},
                ]
            )
            state.send(entry.client_id, *messages[-1])
            messages.append(["execution_success", {"prompt_id": entry.prompt_id, "timestamp": now_ms()}])
            self._finish(entry, messages, cached_outputs, ok=True)
            return
        messages.append(
            ["execution_cached", {"nodes": [], "prompt_id": entry.prompt_id, "timestamp": now_ms()}]
        )
        try:
            self._work(entry)
            outputs = Evaluation(state, entry).run()
        except Failure as exc:
            messages.append(
                [
                    "execution_error",
                    {
                        "prompt_id": entry.prompt_id,
                        "node_id": exc.node_id,
                        "node_type": exc.node_type,
                        "executed": [],
                        "exception_message": str(exc),
                        "exception_type": exc.exception_type,
                        "traceback": ["Traceback (most recent call last):\n", "  ...\n"],
                        "current_inputs": {},
                        "current_outputs": {},
                        "timestamp": now_ms(),
                    },
                ]
            )
            self._finish(entry, messages, {}, ok=False)
            return
        except Interrupted as exc:
            messages.append(
                [
                    "execution_interrupted",
                    {
                        "prompt_id": entry.prompt_id,
                        "node_id": exc.node_id,
                        "node_type": exc.node_type,
                        "executed": [],
                        "timestamp": now_ms(),
                    },
                ]
            )
            self._finish(entry, messages, {}, ok=False)
            return
        except _Restarted:
            return
        with state.lock:
            state.cache[key] = outputs
        messages.append(["execution_success", {"prompt_id": entry.prompt_id, "timestamp": now_ms()}])
        self._finish(entry, messages, outputs, ok=True)

    def _work(self, entry: Entry) -> None:
        """The time a generation takes; faults that happen while it runs."""
        state = self.state
        sampler = next((i for i, n in entry.graph.items() if n.get("class_type") == "KSampler"), "?")
        fault = state.fault
        if state.fault_after is not None and state.executed >= state.fault_after[0]:
            fault = state.fault_after[1]
        state.executed += 1
        if fault == "restart":
            state.restart()
            raise _Restarted
        if fault == "interrupted":
            raise Interrupted(sampler, "KSampler")
        steps = int(entry.graph.get(sampler, {}).get("inputs", {}).get("steps", 1) or 1)
        state.send(
            entry.client_id,
            "executing",
            {"node": sampler, "display_node": sampler, "prompt_id": entry.prompt_id},
        )
        started = time.monotonic()
        deadline = started + state.delay
        shown = 0
        while fault == "hang" or time.monotonic() < deadline:
            if state.interrupt_flag or self.stop.is_set():
                raise Interrupted(sampler, "KSampler")
            if state.delay > 0:
                done = min(steps - 1, int(steps * (time.monotonic() - started) / state.delay))
                if done > shown:
                    shown = done
                    state.send(
                        entry.client_id,
                        "progress",
                        {"value": done, "max": steps, "prompt_id": entry.prompt_id, "node": sampler},
                    )
            time.sleep(0.01)
        state.send(
            entry.client_id,
            "progress",
            {"value": steps, "max": steps, "prompt_id": entry.prompt_id, "node": sampler},
        )
        if fault == "execution_error":
            raise Failure(
                sampler,
                "KSampler",
                "RuntimeError",
                "mat1 and mat2 shapes cannot be multiplied (77x768 and 1024x320)",
            )
        if fault == "out_of_memory":
            raise Failure(
                sampler,
                "KSampler",
                "torch.OutOfMemoryError",
                "Allocation on device 0 would exceed allowed memory. (out of memory)",
            )

    def _finish(self, entry: Entry, messages: list[list[Any]], outputs: dict[str, Any], *, ok: bool) -> None:
        """The socket hears the end first, then the history entry appears, as in ComfyUI."""
        send = self.state.send
        if ok:
            for node_id, output in outputs.items():
                send(
                    entry.client_id,
                    "executed",
                    {
                        "node": node_id,
                        "display_node": node_id,
                        "output": output,
                        "prompt_id": entry.prompt_id,
                    },
                )
            send(entry.client_id, "executing", {"node": None, "prompt_id": entry.prompt_id})
        send(entry.client_id, *messages[-1])
        with self.state.lock:
            if self.state.running is not entry:
                return  # the server restarted meanwhile
            self.state.history[entry.prompt_id] = {
                "prompt": [
                    entry.number,
                    entry.prompt_id,
                    entry.graph,
                    {"client_id": entry.client_id},
                    entry.outputs,
                ],
                "outputs": outputs,
                "status": {"status_str": "success" if ok else "error", "completed": ok, "messages": messages},
                "meta": {
                    node: {"node_id": node, "display_node": node, "parent_node": None, "real_node_id": node}
                    for node in outputs
                },
            }
            self.state.running = None


class _Restarted(Exception):
    pass


class Evaluation:
    """Each node's outputs, computed on demand from its inputs."""

    def __init__(self, state: StandinState, entry: Entry) -> None:
        self.state, self.entry = state, entry
        self.values: dict[str, tuple[Any, ...]] = {}

    def run(self) -> dict[str, Any]:
        return {node_id: {"images": self.output(node_id)[0]} for node_id in self.entry.outputs}

    def input(self, value: Any) -> Any:
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
            return self.output(value[0])[value[1]]
        return value

    def output(self, node_id: str) -> tuple[Any, ...]:
        if node_id not in self.values:
            node = self.entry.graph[node_id]
            inputs = {name: self.input(value) for name, value in node["inputs"].items()}
            self.values[node_id] = self.compute(node_id, node["class_type"], inputs)
        return self.values[node_id]

    def compute(self, node_id: str, kind: str, i: dict[str, Any]) -> tuple[Any, ...]:
        if kind == "CheckpointLoaderSimple":
            return ("model:" + i["ckpt_name"], "clip", "vae")
        if kind == "CLIPTextEncode":
            return ("text:" + i["text"],)
        if kind == "EmptyLatentImage":
            return (("latent", i["width"], i["height"], None),)
        if kind == "LoadImage":
            for (kind_, sub, name), data in self.state.files.items():
                if kind_ == "input" and f"{sub}/{name}".lstrip("/") == i["image"]:
                    return (pictures.opened(data), "mask")
            raise Failure(node_id, kind, "FileNotFoundError", f"Invalid image file: {i['image']}")
        if kind == "VAEEncode":
            image = i["pixels"]
            return (("latent", image.width, image.height, image),)
        if kind == "KSampler":
            _, width, height, base = i["latent_image"]
            salt = "|".join(
                str(i[k])
                for k in (
                    "model",
                    "positive",
                    "negative",
                    "steps",
                    "cfg",
                    "sampler_name",
                    "scheduler",
                    "denoise",
                )
            )
            return (("latent", width, height, pictures.sampled(width, height, i["seed"], salt, base)),)
        if kind == "VAEDecode":
            return (i["samples"][3],)
        if kind == "UpscaleModelLoader":
            return ("upscale:" + i["model_name"],)
        if kind == "ImageUpscaleWithModel":
            image = i["image"]
            return (image.resize((image.width * 4, image.height * 4), Image.Resampling.NEAREST),)
        if kind == "ImageScale":
            method = (
                Image.Resampling.NEAREST
                if i["upscale_method"] == "nearest-exact"
                else Image.Resampling.LANCZOS
            )
            return (i["image"].resize((i["width"], i["height"]), method),)
        if kind == "SaveImage":
            return (self.save(i["images"], i["filename_prefix"]),)
        raise Failure(node_id, kind, "KeyError", kind)

    def save(self, image: Image.Image, prefix: str) -> list[dict[str, str]]:
        subfolder, _, stem = prefix.rpartition("/")
        with self.state.lock:
            counter = self.state.counters.get(prefix, 0) + 1
            self.state.counters[prefix] = counter
            name = f"{stem}_{counter:05}_.png"
            self.state.files[("output", subfolder, name)] = pictures.saved_png(image, self.entry.graph)
        return [{"filename": name, "subfolder": subfolder, "type": "output"}]
