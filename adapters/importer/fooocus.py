"""Fooocus, its own JSON scheme: in a PNG text named ``parameters`` (with ``fooocus_scheme`` = ``fooocus``),
or in a JPEG/WEBP EXIF UserComment.

Keys: ``prompt``, ``negative_prompt`` (as typed; ``full_prompt`` lists the expanded prompts),
``resolution`` (``"(768, 1280)"``), ``guidance_scale``, ``sampler``, ``scheduler``, ``seed``,
``steps``, ``base_model``, ``base_model_hash``, ``refiner_model``, ``refiner_switch``,
``loras``, ``styles``, ``performance``, ``version`` (``Fooocus v2.4.3``). The JSON is taken when
``fooocus_scheme`` says so or its ``version`` starts with ``Fooocus``. Fooocus's other scheme
(``a1111``) is infotext and read by the A1111 reader, which names the tool ``fooocus``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.importer.json_text import json_object, looks_like_json_object, stripped
from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "fooocus-json"
_RESOLUTION = re.compile(r"\(\s*(\d{1,6})\s*,\s*(\d{1,6})\s*\)")


class FooocusReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        scheme = texts.get("fooocus_scheme", "").strip().lower()
        for key in ("parameters", "UserComment", "Comment"):
            source = texts.get(key)
            if not looks_like_json_object(source) or source is None:
                continue
            if scheme != "fooocus" and '"Fooocus' not in source and "fooocus" not in source[:4000].lower():
                continue
            data = json_object(source)
            if isinstance(data, str):
                return Unreadable(FORMAT, f"the {key!r} text {data}")
            if scheme != "fooocus" and not str(data.get("version", "")).startswith("Fooocus"):
                continue
            raw = {key: source} | ({"fooocus_scheme": texts["fooocus_scheme"]} if scheme else {})
            return _run(data, raw)
        return None


def _run(data: Mapping[str, object], raw: Mapping[str, str]) -> ImportedRun:
    resolution = _RESOLUTION.fullmatch(str(data.get("resolution", "")).strip())
    first = ImportedStage(
        name="txt2img",
        sampler=text(data.get("sampler")),
        scheduler=text(data.get("scheduler")),
        steps=text(data.get("steps")),
        cfg_scale=text(data.get("guidance_scale")),
        seed=text(data.get("seed")),
        size=f"{resolution.group(1)}x{resolution.group(2)}" if resolution else None,
    )
    extra = {
        key: data[key]
        for key in ("styles", "performance", "loras", "refiner_model", "refiner_switch", "full_prompt")
        if key in data
    }
    return ImportedRun(
        format=FORMAT,
        tool="fooocus",
        prompt=stripped(data.get("prompt")),
        negative_prompt=stripped(data.get("negative_prompt")),
        stages=(first,),
        model=stripped(data.get("base_model")),
        model_hash=stripped(data.get("base_model_hash")),
        version=text(data.get("version")),
        raw=raw,
        extra={"fooocus": extra},
        seed_max=2**64 - 1,
    )
