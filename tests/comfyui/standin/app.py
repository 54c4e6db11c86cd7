"""The stand-in ComfyUI server, written from ComfyUI's documented HTTP behaviour (ComfyUI is GPL-3.0:
no code of it is used). Every route is served under ``/`` and ``/api/``, as ComfyUI does.

``POST /prompt`` validates the graph as ComfyUI describes (unknown node: ``invalid_prompt``; no
output: ``prompt_no_outputs``; a combo value not offered: ``prompt_outputs_failed_validation``
with ``node_errors``) and queues it; a worker runs it and writes the history entry.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.comfyui.standin import state as names
from tests.comfyui.standin.state import Entry, SeenRequest, StandinState

OUTPUT_NODES = {"SaveImage"}


def object_info(state: StandinState) -> dict[str, Any]:
    def combo(options: list[str]) -> list[Any]:
        return ["COMBO", {"options": list(options)}] if state.new_combo_format else [list(options), {}]

    def node(required: dict[str, Any], output: list[str], category: str) -> dict[str, Any]:
        return {
            "input": {"required": required},
            "output": output,
            "output_node": False,
            "category": category,
            "display_name": "",
            "description": "",
        }

    info: dict[str, Any] = {
        "CheckpointLoaderSimple": node(
            {"ckpt_name": combo(names.CHECKPOINTS)}, ["MODEL", "CLIP", "VAE"], "loaders"
        ),
        "CLIPTextEncode": node(
            {"text": ["STRING", {"multiline": True}], "clip": ["CLIP"]}, ["CONDITIONING"], "conditioning"
        ),
        "EmptyLatentImage": node(
            {
                "width": ["INT", {"default": 512, "min": 16, "max": 16384, "step": 8}],
                "height": ["INT", {"default": 512, "min": 16, "max": 16384, "step": 8}],
                "batch_size": ["INT", {"default": 1, "min": 1, "max": 4096}],
            },
            ["LATENT"],
            "latent",
        ),
        "KSampler": node(
            {
                "model": ["MODEL"],
                "seed": ["INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}],
                "steps": ["INT", {"default": 20, "min": 1, "max": 10000}],
                "cfg": ["FLOAT", {"default": 8.0}],
                "sampler_name": combo(names.SAMPLERS),
                "scheduler": combo(names.SCHEDULERS),
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "latent_image": ["LATENT"],
                "denoise": ["FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0}],
            },
            ["LATENT"],
            "sampling",
        ),
        "VAEDecode": node({"samples": ["LATENT"], "vae": ["VAE"]}, ["IMAGE"], "latent"),
        "VAEEncode": node({"pixels": ["IMAGE"], "vae": ["VAE"]}, ["LATENT"], "latent"),
        "LoadImage": node(
            {
                "image": combo(state.input_names()),
            },
            ["IMAGE", "MASK"],
            "image",
        ),
        "ImageScale": node(
            {
                "image": ["IMAGE"],
                "upscale_method": combo(names.RESIZE_METHODS),
                "width": ["INT", {"default": 512, "min": 0, "max": 16384, "step": 1}],
                "height": ["INT", {"default": 512, "min": 0, "max": 16384, "step": 1}],
                "crop": combo(["disabled", "center"]),
            },
            ["IMAGE"],
            "image/upscaling",
        ),
        "SaveImage": {
            **node({"images": ["IMAGE"], "filename_prefix": ["STRING", {"default": "ComfyUI"}]}, [], "image"),
            "output_node": True,
        },
    }
    if state.has_upscale_models:
        info["UpscaleModelLoader"] = node(
            {"model_name": combo(names.UPSCALE_MODELS)}, ["UPSCALE_MODEL"], "loaders"
        )
        info["ImageUpscaleWithModel"] = node(
            {"upscale_model": ["UPSCALE_MODEL"], "image": ["IMAGE"]}, ["IMAGE"], "image/upscaling"
        )
    for missing in state.missing_nodes:
        info.pop(missing, None)
    return info


def _error(kind: str, message: str, details: str = "") -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


def validate(
    graph: Any, info: dict[str, Any], reject: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(error, node_errors) as ``POST /prompt`` reports them; (None, {}) for a valid graph."""
    if not isinstance(graph, dict):
        return _error("invalid_prompt", "Invalid prompt"), {}
    for node_id, node in graph.items():
        kind = node.get("class_type") if isinstance(node, dict) else None
        if kind not in info:
            return _error(
                "invalid_prompt",
                f"Cannot execute because node {kind} does not exist.",
                f"Node ID '#{node_id}'",
            ), {}
    outputs = [node_id for node_id, node in graph.items() if node["class_type"] in OUTPUT_NODES]
    if not outputs:
        return _error("prompt_no_outputs", "Prompt has no outputs"), {}
    node_errors: dict[str, Any] = {}
    for node_id, node in graph.items():
        required = info[node["class_type"]]["input"]["required"]
        problems = []
        for name, spec in required.items():
            value = node["inputs"].get(name)
            if value is None:
                problems.append(
                    {
                        "type": "required_input_missing",
                        "message": "Required input is missing",
                        "details": name,
                        "extra_info": {"input_name": name},
                    }
                )
                continue
            options = (
                spec[0] if isinstance(spec[0], list) else spec[1]["options"] if spec[0] == "COMBO" else None
            )
            if options is not None and (
                name == reject or (not isinstance(value, list) and value not in options)
            ):
                message = "Invalid image file" if name == "image" else "Value not in list"
                problems.append(
                    {
                        "type": "value_not_in_list",
                        "message": message,
                        "details": f"{name}: '{value}' not in {options}",
                        "extra_info": {"input_name": name, "input_config": spec, "received_value": value},
                    }
                )
        if problems:
            node_errors[node_id] = {
                "errors": problems,
                "dependent_outputs": outputs,
                "class_type": node["class_type"],
            }
    if node_errors:
        return _error("prompt_outputs_failed_validation", "Prompt outputs failed validation"), node_errors
    return None, {}


def create_app(state: StandinState) -> Starlette:  # noqa: PLR0915 (one small closure per route)
    async def seen(request: Request) -> Any:
        body: Any = None
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            body = await request.json()
        state.requests.append(SeenRequest(request.method, request.url.path, body))
        return body

    async def post_prompt(request: Request) -> Response:
        body = await seen(request)
        if state.fault == "not_json":
            return HTMLResponse("<html><body>Bad Gateway</body></html>")
        if not isinstance(body, dict) or "prompt" not in body:
            return JSONResponse(
                {"error": _error("no_prompt", "No prompt provided", "No prompt provided"), "node_errors": []},
                400,
            )
        graph = body["prompt"]
        error, node_errors = validate(graph, object_info(state), state.reject_input)
        if error is not None and state.fault != "node_errors_200":
            return JSONResponse({"error": error, "node_errors": node_errors}, 400)
        given = None if state.ignores_prompt_id else body.get("prompt_id")
        prompt_id = str(given or uuid.uuid4())
        with state.lock:
            state.number += 1
            outputs = [n for n, node in graph.items() if node["class_type"] in OUTPUT_NODES]
            state.pending.append(
                Entry(state.number, prompt_id, graph, str(body.get("client_id") or ""), outputs)
            )
            number = state.number
        state.wake.set()
        if state.fault == "node_errors_200":
            first = next(iter(graph))
            node_errors = {
                first: {
                    "errors": [
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": "ckpt_name: 'x' not in []",
                            "extra_info": {"input_name": "ckpt_name"},
                        }
                    ],
                    "dependent_outputs": [],
                    "class_type": graph[first]["class_type"],
                }
            }
        return JSONResponse({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def get_prompt(request: Request) -> Response:
        await seen(request)
        with state.lock:
            remaining = len(state.pending) + (state.running is not None)
        return JSONResponse({"exec_info": {"queue_remaining": remaining}})

    async def get_history(request: Request) -> Response:
        await seen(request)
        with state.lock:
            if "prompt_id" in request.path_params:
                wanted = request.path_params["prompt_id"]
                return JSONResponse({wanted: state.history[wanted]} if wanted in state.history else {})
            return JSONResponse(dict(state.history))

    async def post_history(request: Request) -> Response:
        body = await seen(request) or {}
        with state.lock:
            if body.get("clear"):
                state.history.clear()
            for prompt_id in body.get("delete", []):
                state.history.pop(prompt_id, None)
        return Response(status_code=200)

    def queue_item(entry: Entry) -> list[Any]:
        return [entry.number, entry.prompt_id, entry.graph, {"client_id": entry.client_id}, entry.outputs]

    async def get_queue(request: Request) -> Response:
        await seen(request)
        with state.lock:
            running = [queue_item(state.running)] if state.running else []
            return JSONResponse(
                {"queue_running": running, "queue_pending": [queue_item(e) for e in state.pending]}
            )

    async def post_queue(request: Request) -> Response:
        body = await seen(request) or {}
        with state.lock:
            if body.get("clear"):
                state.pending.clear()
            doomed = set(body.get("delete", []))
            state.pending[:] = [e for e in state.pending if e.prompt_id not in doomed]
        return Response(status_code=200)

    async def post_interrupt(request: Request) -> Response:
        body = await seen(request)
        state.interrupt_requests.append(body)
        wanted = body.get("prompt_id") if isinstance(body, dict) else None
        with state.lock:
            if state.running is not None and (wanted is None or wanted == state.running.prompt_id):
                state.interrupt_flag = True
        return Response(status_code=200)

    async def get_view(request: Request) -> Response:
        await seen(request)
        q = request.query_params
        key = (q.get("type", "output"), q.get("subfolder", ""), q.get("filename", ""))
        if ".." in key[1] or ".." in key[2]:
            return Response(status_code=403)
        data = state.files.get(key)
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/png")

    async def upload_image(request: Request) -> Response:
        await seen(request)
        raw = await request.body()
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True))
        if "image" not in fields:
            return Response(status_code=400)
        filename, data = fields["image"]
        subfolder = (fields.get("subfolder", (None, b""))[1] or b"").decode()
        overwrite = (fields.get("overwrite", (None, b""))[1] or b"").decode() == "true"
        with state.lock:
            name = str(filename)
            stem, dot, ext = name.rpartition(".")
            number = 1
            while not overwrite and ("input", subfolder, name) in state.files:  # ComfyUI's renaming
                name = f"{stem} ({number}){dot}{ext}"
                number += 1
            state.files[("input", subfolder, name)] = data
        return JSONResponse({"name": name, "subfolder": subfolder, "type": "input"})

    async def get_object_info(request: Request) -> Response:
        await seen(request)
        info = object_info(state)
        node = request.path_params.get("node_class")
        if node is None:
            return JSONResponse(info)
        return JSONResponse({node: info[node]} if node in info else {})

    async def get_system_stats(request: Request) -> Response:
        await seen(request)
        return JSONResponse(
            {
                "system": {
                    "os": "posix",
                    "ram_total": 25769803776,
                    "ram_free": 12884901888,
                    "comfyui_version": "0.3.40",
                    "python_version": "3.11.7",
                    "pytorch_version": "2.7.0+cu126",
                    "embedded_python": False,
                    "argv": ["main.py", "--listen", "127.0.0.1"],
                },
                "devices": [
                    {
                        "name": "cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync",
                        "type": "cuda",
                        "index": 0,
                        "vram_total": 12884901888,
                        "vram_free": 11811160064,
                        "torch_vram_total": 0,
                        "torch_vram_free": 0,
                    }
                ],
            }
        )

    async def websocket(socket: WebSocket) -> None:
        await socket.accept()
        client_id = socket.query_params.get("clientId") or uuid.uuid4().hex
        entry = (client_id, asyncio.get_running_loop(), socket)
        state.sockets.append(entry)
        state.ws_connections += 1
        with state.lock:
            remaining = len(state.pending) + (state.running is not None)
        if not state.silent_ws:
            await socket.send_json(
                {
                    "type": "status",
                    "data": {"status": {"exec_info": {"queue_remaining": remaining}}, "sid": client_id},
                }
            )
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            if entry in state.sockets:
                state.sockets.remove(entry)

    table = [
        ("/prompt", post_prompt, ["POST"]),
        ("/prompt", get_prompt, ["GET"]),
        ("/history", get_history, ["GET"]),
        ("/history", post_history, ["POST"]),
        ("/history/{prompt_id}", get_history, ["GET"]),
        ("/queue", get_queue, ["GET"]),
        ("/queue", post_queue, ["POST"]),
        ("/interrupt", post_interrupt, ["POST"]),
        ("/view", get_view, ["GET"]),
        ("/upload/image", upload_image, ["POST"]),
        ("/object_info", get_object_info, ["GET"]),
        ("/object_info/{node_class}", get_object_info, ["GET"]),
        ("/system_stats", get_system_stats, ["GET"]),
    ]
    routes = [
        Route(prefix + path, handler, methods=methods)
        for prefix in ("", "/api")
        for path, handler, methods in table
    ]
    routes += [WebSocketRoute("/ws", websocket), WebSocketRoute("/api/ws", websocket)]
    return Starlette(routes=routes)
