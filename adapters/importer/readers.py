"""Every metadata reader, most specific first, and the dispatcher that picks one by content.

Order matters only where two formats share a text name: Fooocus and SwarmUI may write JSON
into ``parameters``, which the A1111 reader refuses (it never takes JSON), and ComfyUI's
``prompt`` graph is looked for before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.importer.a1111_infotext import A1111InfotextReader
from adapters.importer.comfyui_graph import ComfyUIPromptReader
from adapters.importer.comfyui_workflow import ComfyUIWorkflowReader
from adapters.importer.easydiffusion import EasyDiffusionReader
from adapters.importer.fooocus import FooocusReader
from adapters.importer.invokeai import InvokeAIReader
from adapters.importer.novelai import NovelAIReader
from adapters.importer.swarmui import SwarmUIReader
from domain.imported_run import ImportedRun, Unreadable
from domain.ports import MetadataReader

READERS: tuple[MetadataReader, ...] = (
    ComfyUIPromptReader(),
    ComfyUIWorkflowReader(),
    InvokeAIReader(),
    NovelAIReader(),
    SwarmUIReader(),
    FooocusReader(),
    EasyDiffusionReader(),
    A1111InfotextReader(),
)


def read_texts(
    texts: Mapping[str, str], readers: Sequence[MetadataReader] = READERS
) -> ImportedRun | Unreadable | None:
    """The first reader's answer that is not None: a run, or why metadata of its format is unreadable.

    A reader that raises (it must not) is reported as unreadable, so one file never ends an import.
    """
    for reader in readers:
        try:
            found = reader.read(texts)
        except Exception as exc:  # a reader's bug must cost one file, not the whole import
            return Unreadable(reader.format, f"reader failed ({type(exc).__name__}: {exc})"[:300])
        if found is not None:
            return found
    return None
