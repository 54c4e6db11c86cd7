"""The review page and the content security policies the server sends with it and everything else."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib import resources

_PAGE = "review.html"

# Anything that is not the page (JSON, images, errors) may run nothing and load nothing.
INERT_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@dataclass(frozen=True, slots=True)
class Page:
    html: bytes
    policy: str


def load_page() -> Page:
    html = resources.files("adapters.review").joinpath("static", _PAGE).read_bytes()
    return Page(html, page_policy(html.decode("utf-8")))


def page_policy(html: str) -> str:
    """A policy that allows exactly the page's own inline ``<script>`` and ``<style>`` blocks, by hash.

    Markup injected into the page (an unescaped prompt, say) can then run no script: inline event
    handlers, ``javascript:`` links and any other script block do not match a hash.
    """
    scripts, styles = script_hashes(html)
    return (
        f"default-src 'none'; img-src 'self'; style-src {styles}; script-src {scripts}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def script_hashes(html: str) -> tuple[str, str]:
    """CSP sources for the page's own inline ``<script>`` blocks and ``<style>`` blocks, by hash."""
    scripts = _hashes(re.findall(r"<script>(.*?)</script>", html, re.DOTALL))
    styles = _hashes(re.findall(r"<style>(.*?)</style>", html, re.DOTALL))
    return scripts, styles


def _hashes(blocks: list[str]) -> str:
    digests = (hashlib.sha256(block.encode("utf-8")).digest() for block in blocks)
    return " ".join(f"'sha256-{base64.b64encode(digest).decode('ascii')}'" for digest in digests) or "'none'"
