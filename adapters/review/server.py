"""ReviewServer: the review page and its JSON API over HTTP, for this machine only by default.

Guards, because any web page the user visits can send requests to localhost: the Host header
must name this server (no DNS rebinding); POSTs must be JSON (a cross-site form cannot send
that without a CORS preflight, which is never granted) and, when the browser says where they
come from (Origin, Sec-Fetch-Site), come from this page; files come only from SafeFiles.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.review.api import BadRequest, ReviewApi
from adapters.review.files import Refused
from domain.errors import RecordStoreError, UnsupportedSchemaVersion
from domain.feedback import FeedbackError
from domain.run_filter import FilterError
from domain.run_lookup import AmbiguousRunId, RunNotFound

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_PAGE = "review.html"


def page_html() -> bytes:
    return resources.files("adapters.review").joinpath("static", _PAGE).read_bytes()


class ReviewServer:
    """Serves ``api`` on ``host:port`` (port 0 picks a free one) from a background thread or the caller's."""

    def __init__(self, api: ReviewApi, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.api = api
        self.page = page_html()
        handler = type("BoundHandler", (_Handler,), {"review": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{shown}:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        names = {*LOOPBACK_NAMES, self.host}
        return {f"{name}:{self.port}" for name in names}

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def start(self) -> ReviewServer:
        self._thread = threading.Thread(target=self.serve_forever, name="review-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop a server started with ``start`` and close its socket."""
        self._httpd.shutdown()
        self.stop_listening()
        if self._thread is not None:
            self._thread.join(5)

    def stop_listening(self) -> None:
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    review: ReviewServer
    server_version = "stablenew-review"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    # -- routing ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        parts = urlsplit(self.path)
        path = parts.path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.review.page, "text/html; charset=utf-8")
        elif path == "/api/runs":
            self._answer(lambda: self.review.api.runs(parse_qs(parts.query)))
        elif path.startswith("/api/runs/") and path.count("/") == 3:
            run_id = unquote(path.removeprefix("/api/runs/"))
            self._answer(lambda: self.review.api.run(run_id))
        elif path.startswith("/img/") and path.count("/") == 3:
            self._image(*path.removeprefix("/img/").split("/"))
        else:
            self._error(HTTPStatus.NOT_FOUND, "no such page")

    def do_POST(self) -> None:
        if not self._host_ok() or not self._same_origin():
            return
        if urlsplit(self.path).path != "/api/feedback":
            self._error(HTTPStatus.NOT_FOUND, "no such endpoint")
            return
        if self.headers.get_content_type() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json")
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._error(HTTPStatus.BAD_REQUEST, f"the body must be 1..{MAX_BODY} bytes with a Content-Length")
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, "the body is not JSON")
            return
        self._answer(lambda: self.review.api.feedback(body))

    # -- guards ---------------------------------------------------------------------------------

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.review.allowed_hosts():
            return True
        self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
        return False

    def _same_origin(self) -> bool:
        origin = self.headers.get("Origin")
        site = self.headers.get("Sec-Fetch-Site")
        if origin is not None and origin != f"http://{self.headers.get('Host')}":
            self._error(HTTPStatus.FORBIDDEN, "cross-origin request refused")
            return False
        if site is not None and site not in ("same-origin", "none"):
            self._error(HTTPStatus.FORBIDDEN, "cross-site request refused")
            return False
        return True

    # -- answers ----------------------------------------------------------------------------------

    def _answer(self, action: Any) -> None:
        try:
            result = action()
        except (BadRequest, FilterError, FeedbackError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (RunNotFound, AmbiguousRunId) as exc:
            self._error(HTTPStatus.NOT_FOUND, str(exc))
        except (RecordStoreError, UnsupportedSchemaVersion, OSError) as exc:
            logger.warning("review request failed: %s", exc)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
        else:
            self._json(HTTPStatus.OK, result)

    def _image(self, run_text: str, index_text: str) -> None:
        try:
            index = int(index_text)
            path = self.review.api.image(unquote(run_text), index)
        except ValueError:
            self._error(HTTPStatus.NOT_FOUND, "no such image")
            return
        except Refused as exc:
            logger.warning("review: refused to serve %s", exc)
            self._error(HTTPStatus.FORBIDDEN, "that file is outside the served folders")
            return
        except (RunNotFound, AmbiguousRunId):
            self._error(HTTPStatus.NOT_FOUND, "no such run")
            return
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, "no such image")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not kind.startswith("image/"):
            self._error(HTTPStatus.FORBIDDEN, "only images are served")
            return
        try:
            data = path.read_bytes()
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, "no such image")
            return
        self._send(HTTPStatus.OK, data, kind, cache="private, max-age=300")

    def _json(self, status: HTTPStatus, value: Any) -> None:
        self._send(status, json.dumps(value).encode("utf-8"), "application/json")

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json(status, {"error": message})

    def _send(self, status: HTTPStatus, data: bytes, kind: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        self.end_headers()
        self._write(data)

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)
