"""``stablenew mcp``: the history served to AI assistants over stdio with the MCP Python SDK.

The SDK is an optional extra (``mcp``); it is imported only here, in ``server.py``.
"""

from __future__ import annotations

INSTALL_HINT = (
    "`stablenew mcp` needs the MCP Python SDK, an optional extra: install it with "
    "`uv sync --extra mcp` (or `pip install 'stablenew[mcp]'`)"
)


def sdk_installed() -> bool:
    """Whether the MCP SDK can be imported (it is not when the ``mcp`` extra was left out)."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError:
        return False
    return True
