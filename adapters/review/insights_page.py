"""The insights page: insights.html with the bundled chart library inlined, served live by the review
server or written, with its data and thumbnails inside, as one self-contained report file.

Inlining (rather than a second URL) keeps the page's policy to hashes of its own script blocks and
lets the report work from a file:// URL with no network at all.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson

from adapters.review.page import Page, page_policy, script_hashes

_PAGE = "insights.html"
_CHART = "chart.umd.min.js"
_CHART_MARK = "<!--chart-->"
_POLICY_MARK = "<!--policy-->"
_DATA_BLOCK = '<script type="application/json" id="insights-data"></script>'


def chart_library() -> str:
    """Chart.js as bundled in static/vendor (its source map comment dropped: there is no map to fetch)."""
    text = resources.files("adapters.review").joinpath("static", "vendor", _CHART).read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("//# sourceMappingURL=")]
    code = "\n".join(lines)
    if "</script" in code.lower():  # would end the inline block early
        raise ValueError(f"{_CHART} cannot be inlined: it holds </script")
    return code


def _template() -> str:
    html = resources.files("adapters.review").joinpath("static", _PAGE).read_text("utf-8")
    return html.replace(_CHART_MARK, f"<script>{chart_library()}</script>", 1)


def load_insights_page() -> Page:
    """The live page (it asks /api/insights for its data), with the policy the server sends for it."""
    html = _template().replace(_POLICY_MARK, "", 1)
    return Page(html.encode("utf-8"), page_policy(html))


def report_html(data: dict[str, Any]) -> str:
    """The page with ``data`` (the /api/insights answer, thumbnails as data: URLs) inside it.

    The data is a JSON block no browser runs, with every ``<`` escaped, so no text from the files
    can end it; a meta policy allows only the page's own scripts and styles and data: images.
    """
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    html = _template().replace(
        _DATA_BLOCK, f'<script type="application/json" id="insights-data">{text}</script>', 1
    )
    scripts, styles = script_hashes(html)
    policy = (
        f"default-src 'none'; img-src data:; style-src {styles}; script-src {scripts}; "
        "base-uri 'none'; form-action 'none'"
    )
    return html.replace(_POLICY_MARK, f'<meta http-equiv="Content-Security-Policy" content="{policy}">', 1)
