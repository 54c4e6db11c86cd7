"""Keep benchmark figures in docs/performance.md, one marked section per benchmark.

Each benchmark script owns the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``;
:func:`write_section` replaces that text (or appends a new section) and leaves the rest alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def write_section(name: str, markdown: str, command: str, *, doc: Path = PERFORMANCE_DOC) -> None:
    """Replace (or append) the section ``name`` with ``markdown`` and the command that produced it."""
    if not _NAME.match(name):
        raise ValueError(f"section name must be letters, digits, '.', '_' or '-', got {name!r}")
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    body = f"{start}\n{markdown.strip()}\n\nProduced by:\n\n```sh\n{command.strip()}\n```\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: body, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    temp = doc.with_name(f".{doc.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(doc)
