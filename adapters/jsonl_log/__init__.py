"""An append-only JSON-lines file that several processes can share safely (local filesystems only)."""

from adapters.jsonl_log.line_format import CHECKSUM_KEY, decode_line, encode_json, encode_line
from adapters.jsonl_log.log import DURABILITIES, Durability, JsonlLog
from adapters.jsonl_log.netfs import filesystem_type, is_network_filesystem, warn_if_network_filesystem
from domain.store_health import Repair, Verification

__all__ = [
    "CHECKSUM_KEY",
    "DURABILITIES",
    "Durability",
    "JsonlLog",
    "Repair",
    "Verification",
    "decode_line",
    "encode_json",
    "encode_line",
    "filesystem_type",
    "is_network_filesystem",
    "warn_if_network_filesystem",
]
