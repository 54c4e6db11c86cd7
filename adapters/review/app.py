"""The review page and its JSON API as a Starlette app, behind the guards in adapters/review/guards.py."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from adapters.review.api import BadRequest, ReviewApi
from adapters.review.body import BodyGuard
from adapters.review.files import Refused
from adapters.review.guards import HostGuard, SecurityHeaders, WriteGuard
from adapters.review.json_body import BadJson, parse_json_body
from adapters.review.limits import ServerLimits
from adapters.review.page import Page
from domain.errors import RecordStoreError, UnsupportedSchemaVersion
from domain.feedback import FeedbackError
from domain.run_filter import FilterError
from domain.run_lookup import AmbiguousRunId, RunNotFound

logger = logging.getLogger(__name__)

# Served by extension only: never SVG or anything else a browser could run script in.
RASTER_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}


def build_app(
    api: ReviewApi, allowed_hosts: Iterable[str], limits: ServerLimits, page: Page, insights_page: Page
) -> ASGIApp:
    """The ASGI app: guards first, then the routes; the API's sync calls run in a threadpool.

    SecurityHeaders wraps Starlette itself, so even its answer to an unexpected error carries them.
    """

    async def index(request: Request) -> Response:
        return Response(
            page.html,
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": page.policy},
        )

    async def insights_view(request: Request) -> Response:
        return Response(
            insights_page.html,
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": insights_page.policy},
        )

    async def insights(request: Request) -> Response:
        query = parse_qs(request.scope["query_string"].decode("latin-1"))
        return await _answer(api.insights, query)

    async def runs(request: Request) -> Response:
        query = parse_qs(request.scope["query_string"].decode("latin-1"))
        return await _answer(api.runs, query)

    async def run(request: Request) -> Response:
        return await _answer(api.run, request.path_params["run_id"])

    async def feedback(request: Request) -> Response:
        try:
            body = parse_json_body(await request.body(), limits.max_json_depth)
        except BadJson as exc:
            return error(400, str(exc))
        return await _answer(api.feedback, body)

    async def image(request: Request) -> Response:
        try:
            index = int(request.path_params["index"])
        except ValueError:
            return error(404, "no such image")
        try:
            thumbnail = request.query_params.get("size") == "thumb"
            path = await run_in_threadpool(
                partial(api.image, request.path_params["run_id"], index, thumbnail=thumbnail)
            )
        except Refused as exc:
            logger.warning("review: refused to serve %s", exc)
            return error(403, "that file is outside the served folders")
        except (RunNotFound, AmbiguousRunId):
            return error(404, "no such run")
        except (RecordStoreError, UnsupportedSchemaVersion, OSError) as exc:
            return _failed(exc)
        if path is None:
            return error(404, "no such image")
        kind = RASTER_TYPES.get(path.suffix.lower())
        if kind is None:
            logger.warning("review: refused to serve %s: not a PNG, JPEG, WebP or GIF image", path)
            return error(403, "only PNG, JPEG, WebP and GIF images are served")
        try:
            data = await run_in_threadpool(path.read_bytes)
        except OSError:
            return error(404, "no such image")
        return Response(data, media_type=kind, headers={"cache-control": "private, max-age=300"})

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/index.html", index),
            Route("/insights", insights_view),
            Route("/api/insights", insights),
            Route("/api/runs", runs),
            Route("/api/runs/{run_id}", run),
            Route("/img/{run_id}/{index}", image),
            Route("/api/feedback", feedback, methods=["POST"]),
        ],
        middleware=[
            Middleware(HostGuard, allowed=allowed_hosts),
            Middleware(WriteGuard),
            Middleware(BodyGuard, max_body=limits.max_body, timeout=limits.body_timeout),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    return SecurityHeaders(app)


def json_response(status: int, value: Any) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


async def _answer(action: Callable[..., dict[str, Any]], *args: Any) -> Response:
    try:
        result = await run_in_threadpool(action, *args)
    except (BadRequest, FilterError, FeedbackError) as exc:
        return error(400, str(exc))
    except (RunNotFound, AmbiguousRunId) as exc:
        return error(404, str(exc))
    except (RecordStoreError, UnsupportedSchemaVersion, OSError) as exc:
        return _failed(exc)
    return json_response(200, result)


def _failed(exc: Exception) -> Response:
    logger.warning("review request failed: %s", exc)
    return error(500, str(exc))


_MESSAGES = {404: "no such page", 405: "method not allowed"}


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    response = error(status, _MESSAGES.get(status, "request refused"))
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response
