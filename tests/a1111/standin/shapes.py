"""Error bodies as each server shapes them (A1111 wraps exceptions, Forge does not, SD.Next adds ``code``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def http_exception(flavor: str, status: int, detail: str) -> JSONResponse:
    """An HTTPException raised by a route handler."""
    if flavor == "forge":
        return JSONResponse({"detail": detail}, status_code=status)
    body: dict[str, Any] = {"error": "HTTPException", "detail": detail, "body": "", "errors": ""}
    if flavor == "sdnext":
        body["code"] = status
    return JSONResponse(body, status_code=status)


def server_exception(flavor: str, kind: str, message: str) -> JSONResponse:
    """Any other exception: 500 with the class name and message."""
    if flavor == "forge":
        return JSONResponse({"error": kind, "detail": "", "body": "", "message": message}, status_code=500)
    body: dict[str, Any] = {"error": kind, "detail": "", "body": "", "errors": message}
    if flavor == "sdnext":
        body["code"] = 500
    return JSONResponse(body, status_code=500)


def not_an_integer(flavor: str, field: str, value: object) -> JSONResponse:
    """FastAPI's 422 for a field that is not an integer (pydantic v2 wording on Forge)."""
    if flavor == "forge":
        item: dict[str, Any] = {
            "type": "int_parsing",
            "loc": ["body", field],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": value,
            "url": "https://errors.pydantic.dev/2.8/v/int_parsing",
        }
    else:
        item = {"loc": ["body", field], "msg": "value is not a valid integer", "type": "type_error.integer"}
    return JSONResponse({"detail": [item]}, status_code=422)


def not_permitted(flavor: str, field: str, permitted: str) -> JSONResponse:
    item = {
        "loc": ["body", field],
        "msg": f"unexpected value; permitted: {permitted}",
        "type": "value_error.const",
    }
    return JSONResponse({"detail": [item]}, status_code=422)


def unauthorized(flavor: str, detail: str) -> JSONResponse:
    """401 without WWW-Authenticate: A1111's error wrapper drops the header."""
    if flavor == "sdnext":
        return http_exception(flavor, 401, "Unauthorized")
    return http_exception(flavor, 401, detail)
