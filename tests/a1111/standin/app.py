"""The stand-in WebUI: the ``/sdapi/v1`` routes the adapter uses, written from docs/a1111.md's spec.

Own code (the real servers are AGPL): same request fields and defaults, ``info`` as a JSON string,
PNGs with a real ``parameters`` chunk, each flavor's error shapes, Basic auth, a slow mode with
``/progress`` and ``/interrupt``, and the failures listed in ``state.FAILURES``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from domain.infotext import format_infotext
from tests.a1111.standin import names, pictures, shapes
from tests.a1111.standin.state import SeenRequest, StandinState

PREFIX = "/sdapi/v1"
Handler = Callable[[Request, StandinState, dict[str, Any]], Awaitable[Response]]

_TXT2IMG_DEFAULTS: dict[str, Any] = {
    "prompt": "",
    "negative_prompt": "",
    "styles": None,
    "seed": -1,
    "subseed": -1,
    "subseed_strength": 0,
    "seed_resize_from_h": -1,
    "seed_resize_from_w": -1,
    "sampler_name": None,
    "scheduler": None,
    "batch_size": 1,
    "n_iter": 1,
    "steps": 50,
    "cfg_scale": 7.0,
    "width": 512,
    "height": 512,
    "restore_faces": None,
    "tiling": None,
    "do_not_save_samples": False,
    "do_not_save_grid": False,
    "denoising_strength": None,
    "override_settings": None,
    "override_settings_restore_afterwards": True,
    "enable_hr": False,
    "hr_scale": 2.0,
    "hr_upscaler": None,
    "sampler_index": "Euler",
    "send_images": True,
    "save_images": False,
    "alwayson_scripts": {},
    "script_args": [],
}
_IMG2IMG_DEFAULTS: dict[str, Any] = {
    **{k: v for k, v in _TXT2IMG_DEFAULTS.items() if not k.startswith(("enable_hr", "hr_"))},
    "init_images": None,
    "denoising_strength": 0.75,
    "resize_mode": 0,
    "mask": None,
    "include_init_images": False,
}
_FLAVOR_DEFAULTS: dict[str, dict[str, Any]] = {
    "a1111": {},
    "forge": {"distilled_cfg_scale": 3.5, "hr_cfg": 1.0, "hr_distilled_cfg": 3.5},
    "sdnext": {"sampler_name": "UniPC", "steps": 20, "width": 1024, "height": 1024, "cfg_scale": 6.0},
}
_INTEGER_FIELDS = ("seed", "steps", "width", "height", "batch_size", "n_iter")
_EXTRAS_DEFAULTS: dict[str, Any] = {
    "image": "",
    "resize_mode": 0,
    "show_extras_results": True,
    "gfpgan_visibility": 0,
    "codeformer_visibility": 0,
    "codeformer_weight": 0,
    "upscaling_resize": 2,
    "upscaling_resize_w": 512,
    "upscaling_resize_h": 512,
    "upscaling_crop": True,
    "upscaler_1": "None",
    "upscaler_2": "None",
    "extras_upscaler_2_visibility": 0,
    "upscale_first": False,
}


def create_app(state: StandinState) -> Starlette:
    def route(path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await _serve(request, state, handler)

        return Route(PREFIX + path, endpoint, methods=[method])

    routes = [
        route("/sd-models", _sd_models, "GET"),
        route("/samplers", _samplers, "GET"),
        route("/schedulers", _schedulers, "GET"),
        route("/upscalers", _upscalers, "GET"),
        route("/options", _options, "GET"),
        route("/version", _version, "GET"),
        route("/progress", _progress, "GET"),
        route("/interrupt", _interrupt, "POST"),
        route("/txt2img", _txt2img, "POST"),
        route("/img2img", _img2img, "POST"),
        route("/extra-single-image", _extras, "POST"),
    ]

    async def json_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    return Starlette(routes=routes, exception_handlers={HTTPException: json_http_error})


async def _serve(request: Request, state: StandinState, handler: Handler) -> Response:
    body: Any = None
    if request.method == "POST":
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return JSONResponse(
                {
                    "detail": [
                        {"loc": ["body", 0], "msg": "Expecting value", "type": "value_error.jsondecode"}
                    ]
                },
                status_code=422,
            )
    state.saw(SeenRequest(request.method, request.url.path, body, request.headers.get("authorization")))
    denied = _check_auth(request, state)
    if denied is not None:
        return denied
    return await handler(request, state, body if isinstance(body, dict) else {})


def _check_auth(request: Request, state: StandinState) -> Response | None:
    if state.credentials is None:
        return None
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return shapes.unauthorized(state.flavor, "Not authenticated")
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return shapes.unauthorized(state.flavor, "Not authenticated")
    if (user, password) != state.credentials:
        return shapes.unauthorized(state.flavor, "Incorrect username or password")
    return None


# -- catalogue ------------------------------------------------------------------------------


def _samplers_of(state: StandinState) -> list[tuple[str, list[str], str | None]]:
    return names.SDNEXT_SAMPLERS if state.flavor == "sdnext" else names.A1111_SAMPLERS


async def _sd_models(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    if state.flavor == "sdnext":
        return JSONResponse([{**model, "type": "sd"} for model in state.models])
    return JSONResponse(state.models)


async def _samplers(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    return JSONResponse(
        [
            {"name": name, "aliases": aliases, "options": {"scheduler": default.lower()} if default else {}}
            for name, aliases, default in _samplers_of(state)
        ]
    )


async def _schedulers(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    if not state.serves_schedulers:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return JSONResponse(
        [
            {"name": name, "label": label, "aliases": None, "default_rho": None, "need_inner_model": False}
            for name, label in names.SCHEDULERS
        ]
    )


async def _upscalers(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    return JSONResponse(names.UPSCALERS)


async def _options(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    model = _find_model(state, state.current_model)
    return JSONResponse(
        {
            "sd_model_checkpoint": state.current_model if state.models else None,
            "sd_checkpoint_hash": model["sha256"] if model else None,
            "samples_format": "png",
            "enable_pnginfo": True,
        }
    )


async def _version(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    if state.flavor != "sdnext":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return JSONResponse({"app": "sd.next", "updated": "2025-03-02", "hash": "431bcc36", "branch": "master"})


async def _progress(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    return JSONResponse(
        {
            "progress": state.progress,
            "eta_relative": 0.0,
            "state": {
                "skipped": False,
                "interrupted": state.interrupted and state.job_running,
                "stopping_generation": False,
                "job": "txt2img" if state.job_running else "",
                "job_count": 1 if state.job_running else 0,
                "job_timestamp": "20261124090000",
                "job_no": 0,
                "sampling_step": 0,
                "sampling_steps": 0,
            },
            "current_image": None,
            "textinfo": None,
        }
    )


async def _interrupt(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    state.interrupts += 1
    state.interrupted = True
    return JSONResponse({})


# -- generation ------------------------------------------------------------------------------

_GENERATION_LOCK: dict[int, asyncio.Lock] = {}


def _queue_lock(state: StandinState) -> asyncio.Lock:
    """One job at a time, as the WebUI's queue_lock (created in the server's event loop)."""
    return _GENERATION_LOCK.setdefault(id(state), asyncio.Lock())


def _with_defaults(body: dict[str, Any], defaults: dict[str, Any], flavor: str) -> dict[str, Any]:
    merged = {**defaults, **_FLAVOR_DEFAULTS[flavor]}
    merged.update({key: value for key, value in body.items() if value is not None or key not in merged})
    return merged


def _coerce_integers(request: dict[str, Any], flavor: str) -> Response | None:
    for key in _INTEGER_FIELDS:
        value = request.get(key)
        if isinstance(value, bool) or value is None:
            continue
        try:
            request[key] = int(value)
        except (TypeError, ValueError):
            return shapes.not_an_integer(flavor, key, value)
    return None


def _injected(state: StandinState) -> Response | None:
    if state.failure == "reject_steps":
        return shapes.not_an_integer(state.flavor, "steps", "twenty")
    if state.failure == "not_json":
        return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=200)
    if state.failure == "drop":
        return _DroppedAnswer()
    return None


class _DroppedAnswer(Response):
    """Starts a 4 KiB answer, sends a few bytes and closes the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"images": ["iVBOR', "more_body": True})
        raise ConnectionAbortedError("stand-in: injected connection drop")


async def _wait(state: StandinState) -> bool:
    """Sleep ``state.delay`` in small steps, reporting progress; True when interrupted."""
    state.interrupted = False
    state.job_running, state.progress = True, 0.0
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < state.delay:
            if state.interrupted:
                return True
            state.progress = min(1.0, (loop.time() - start) / state.delay)
            await asyncio.sleep(0.02)
        return state.interrupted
    finally:
        state.job_running, state.progress = False, 0.0


def _find_model(state: StandinState, wanted: str | None) -> dict[str, Any] | None:
    if not wanted:
        return None
    for model in state.models:
        stem = model["filename"].rsplit("/", 1)[-1]
        if wanted in (
            model["title"],
            model["model_name"],
            model["hash"],
            model["sha256"],
            stem,
            model["filename"],
            stem.rsplit(".", 1)[0],
        ):
            return model
    return None


def _resolve_sampler(
    state: StandinState, wanted: str | None, scheduler: str | None
) -> tuple[str, str | None]:
    """(sampler, scheduler label): A1111 and Forge silently fall back to the first sampler."""
    samplers = _samplers_of(state)
    for suffix in ("Karras", "Exponential", "Uniform"):  # legacy combined names
        if wanted and wanted.endswith(" " + suffix) and state.flavor != "sdnext":
            wanted, scheduler = wanted[: -len(suffix) - 1], scheduler or suffix
    match = next((s for s in samplers if wanted and (wanted == s[0] or wanted in s[1])), None)
    if match is None:
        if state.flavor == "sdnext":
            raise _NotFound("Sampler not found")
        match = samplers[0]
    if state.flavor == "sdnext":
        return match[0], None
    label = next((lab for name, lab in names.SCHEDULERS if scheduler in (name, lab)), "Automatic")
    if label == "Automatic" and match[2]:
        label = match[2]
    return match[0], label


class _NotFound(Exception):
    pass


async def _generate(
    state: StandinState, body: dict[str, Any], defaults: dict[str, Any], mode: str
) -> Response:
    flavor = state.flavor
    request = _with_defaults(body, defaults, flavor)
    invalid = _coerce_integers(request, flavor)
    if invalid is not None:
        return invalid
    inputs: list[Any] = []
    if mode == "img2img":
        init = request.get("init_images")
        if not init or state.failure == "missing_init_image":
            return shapes.http_exception(flavor, 404, "Init image not found")
        try:
            inputs = [pictures.decode_b64_image(item) for item in init]
        except ValueError:
            return shapes.http_exception(flavor, 500, "Invalid encoded image")
    async with _queue_lock(state):
        injected = _injected(state)
        if injected is not None:
            return injected
        interrupted = await _wait(state)
        if state.failure == "no_checkpoint" or not state.models:
            return shapes.server_exception(
                flavor,
                "FileNotFoundError",
                "No checkpoints found. When searching for checkpoints, looked at:\n"
                " - file /webui/model.ckpt\n - directory /webui/models/Stable-diffusion",
            )
        if state.failure == "out_of_memory":
            return shapes.server_exception(
                flavor,
                "OutOfMemoryError",
                "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 8.00 GiB total)",
            )
        try:
            sampler, scheduler = _resolve_sampler(
                state, request.get("sampler_name"), request.get("scheduler")
            )
        except _NotFound as exc:
            return shapes.http_exception(flavor, 404, str(exc))
        wanted = (request.get("override_settings") or {}).get("sd_model_checkpoint")
        model = _find_model(state, wanted) or _find_model(state, state.current_model) or state.models[0]
        return _answer(state, request, sampler, scheduler, model, inputs, interrupted, mode)


def _answer(
    state: StandinState,
    request: dict[str, Any],
    sampler: str,
    scheduler: str | None,
    model: dict[str, Any],
    inputs: list[Any],
    interrupted: bool,
    mode: str,
) -> Response:
    flavor = state.flavor
    count = request["batch_size"] * request["n_iter"]
    first_seed = request["seed"] if request["seed"] != -1 else random.randrange(2**32)
    seeds = [first_seed + i for i in range(count)]
    width, height = request["width"], request["height"]
    salt_parts = [
        mode,
        request["prompt"],
        request["negative_prompt"],
        sampler,
        scheduler,
        request["steps"],
        request["cfg_scale"],
        model["title"],
    ]
    if mode == "img2img":
        salt_parts += [request["denoising_strength"], hashlib.sha256(inputs[0].tobytes()).hexdigest()]
    denoising = request["denoising_strength"] if mode == "img2img" else None
    extras = {"Schedule type": scheduler} if scheduler else {}
    infotexts = []
    for seed in seeds:
        params: dict[str, object] = {
            "Steps": request["steps"],
            "Sampler": sampler,
            "Schedule type": scheduler,
            "CFG scale": request["cfg_scale"],
            "Seed": seed,
            "Size": f"{width}x{height}",
            "Model hash": model["hash"],
            "Model": model["model_name"],
            "Denoising strength": denoising,
            "Version": names.VERSIONS[flavor],
        }
        infotexts.append(format_infotext(request["prompt"], request["negative_prompt"], params))
    images = (
        []
        if interrupted
        else [
            pictures.b64(pictures.generated_png(width, height, seed, repr(salt_parts), text))
            for seed, text in zip(seeds, infotexts, strict=True)
        ]
    )
    info: dict[str, Any] = {
        "prompt": request["prompt"],
        "all_prompts": [request["prompt"]] * count,
        "negative_prompt": request["negative_prompt"],
        "all_negative_prompts": [request["negative_prompt"]] * count,
        "seed": first_seed,
        "all_seeds": seeds,
        "subseed": first_seed + 1,
        "all_subseeds": [s + 1 for s in seeds],
        "subseed_strength": request["subseed_strength"],
        "width": width,
        "height": height,
        "sampler_name": sampler,
        "cfg_scale": request["cfg_scale"],
        "steps": request["steps"],
        "batch_size": request["batch_size"],
        "restore_faces": request["restore_faces"],
        "face_restoration_model": None,
        "sd_model_name": model["model_name"],
        "sd_model_hash": model["hash"],
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": denoising,
        "extra_generation_params": extras,
        "index_of_first_image": 0,
        "infotexts": infotexts,
        "styles": [],
        "job_timestamp": "20261124090000",
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "version": names.VERSIONS[flavor],
    }
    if flavor == "sdnext":
        del info["sd_model_name"]
    state.served.extend(images)
    parameters = dict(request)
    if mode == "img2img" and not request.get("include_init_images"):
        parameters["init_images"] = None
    return JSONResponse({"images": images, "parameters": parameters, "info": json.dumps(info)})


async def _txt2img(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    return await _generate(state, body, _TXT2IMG_DEFAULTS, "txt2img")


async def _img2img(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    return await _generate(state, body, _IMG2IMG_DEFAULTS, "img2img")


async def _extras(request: Request, state: StandinState, body: dict[str, Any]) -> Response:
    flavor = state.flavor
    extras = {**_EXTRAS_DEFAULTS, **body}
    if extras["resize_mode"] not in (0, 1):
        return shapes.not_permitted(flavor, "resize_mode", "0, 1")
    try:
        source = pictures.decode_b64_image(extras["image"])
    except ValueError:
        return shapes.http_exception(flavor, 500, "Invalid encoded image")
    upscaler = extras["upscaler_1"]
    known = [u["name"] for u in names.UPSCALERS]
    async with _queue_lock(state):
        injected = _injected(state)
        if injected is not None:
            return injected
        await _wait(state)
        if upscaler not in known or state.failure == "unknown_upscaler":
            return shapes.server_exception(
                flavor, "AssertionError", f"could not find upscaler named {upscaler}"
            )
        scale = 1.0 if upscaler == "None" else float(extras["upscaling_resize"])
        data = pictures.upscaled_png(source, scale, upscaler, postprocessing=flavor != "forge")
    state.served.append(pictures.b64(data))
    note = f"Postprocess upscale by: {scale:g}, Postprocess upscaler: {upscaler}"
    return JSONResponse({"image": pictures.b64(data), "html_info": f"<p>{note}</p>"})
