"""Backend URLs: the one check that a URL can be used, and the one way to show it without credentials.

Settings and backends both import this module (it sits in the lowest adapter layer), so a URL is
validated once, when settings load, by the same rules the backend applies again.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "********"
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?")
_BAD_PORT = "has a port that is not a number from 1 to 65535"
_URI_PASSWORD = re.compile(r"[?&]password=([^&]*)")
_KEYWORD_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)")
_SHAPE = "must look like http://127.0.0.1:7860 (http or https, with a host)"


@dataclass(frozen=True, slots=True)
class HttpUrl:
    """An http(s) base URL taken apart; ``address`` is it without user-info, query or fragment."""

    address: str
    username: str | None
    password: str | None


def parse_http_url(url: str) -> HttpUrl:
    """Split ``url`` into its address and its credentials; raise ValueError saying what is wrong.

    The messages never quote the URL: its user-info part may hold a password.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # mostly unbalanced brackets
        brackets = "[" in url or "]" in url
        raise ValueError(f"{_SHAPE}; an IPv6 host is written [::1]" if brackets else _SHAPE) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(_SHAPE)
    if "@" in parts.path + parts.query + parts.fragment:
        raise ValueError(
            "has an @ after the host: in a user name or password, write @ / ? # as %40 %2F %3F %23"
        )
    if parts.query or parts.fragment:
        raise ValueError("must not have a ?query or #fragment (they would not be sent)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(_BAD_PORT)
    host = _checked_host(parts.hostname or "")
    netloc = f"{host}:{port}" if port else host
    return HttpUrl(
        address=urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``http://u:p@host:7860/`` -> (``http://host:7860``, u, p): the URL shown anywhere has no secret.

    Raises ConfigError for ``backend.url``; the message never quotes the URL, which may hold a password.
    """
    from domain.errors import ConfigError

    try:
        parsed = parse_http_url(url)
    except ValueError as exc:
        raise ConfigError("backend.url", str(exc)) from None
    return parsed.address, parsed.username, parsed.password


def redact_url(url: str) -> str:
    """``url`` with any user-info replaced by a mask: ``http://********@host:7860``.

    Works on any text, valid URL or not, and never raises: everything between ``//`` (or the
    start) and the last ``@`` is masked, which for a valid URL is exactly its user-info.
    """
    start = url.find("//")
    start = 0 if start < 0 else start + 2
    at = url.rfind("@")
    if at < start:
        return url
    return url[:start] + MASK + url[at:]


def dsn_secrets(dsn: str) -> list[str]:
    """The texts an error about ``dsn`` could quote that give its password away, longest first.

    The whole DSN, and each password written in it (URI user-info, a ``password=`` query parameter
    or keyword), both as written and percent-decoded, and as libpq reads it. Found by the text's
    shape too, so a DSN that libpq refuses to parse (``%zz`` in the password, whose error quotes
    the token) is covered.
    """
    found = {dsn, dsn.strip()}
    scheme = dsn.find("://")
    at = dsn.rfind("@")
    if 0 <= scheme < at:  # URI: everything after the user name's colon up to the last @
        user_info = dsn[scheme + 3 : at]
        if ":" in user_info:
            found.add(user_info.split(":", 1)[1])
    found.update(match.group(1) for match in _URI_PASSWORD.finditer(dsn))
    for match in _KEYWORD_PASSWORD.finditer(dsn):
        value = match.group(1)
        found.add(value)
        found.add(value.strip("'").replace("\\'", "'").replace("\\\\", "\\"))
    found.update({unquote(secret) for secret in found})
    found.add(_libpq_password(dsn))
    return sorted((secret for secret in found if secret), key=len, reverse=True)


def _libpq_password(dsn: str) -> str:
    """The password as libpq reads it ("" when psycopg is not installed or cannot parse ``dsn``)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        return str(conninfo_to_dict(dsn).get("password") or "")
    except Exception:  # no psycopg, or a DSN it refuses: the shapes above found what is there
        return ""


def _checked_host(host: str) -> str:
    if not host:
        raise ValueError(_SHAPE)
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{_SHAPE}; the IPv6 host is not valid") from None
        return f"[{host}]"
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{_SHAPE}; the host name is not valid") from None
    if not _HOST_NAME.fullmatch(ascii_host):
        raise ValueError(f"{_SHAPE}; the host name is not valid")
    return host
