"""SwarmUI: JSON ``{"sui_image_params": {...}, "sui_extra_data": {...}}`` in a PNG ``parameters`` text
or a JPEG/WEBP EXIF UserComment.

``sui_image_params`` keys: ``prompt``, ``negativeprompt``, ``model``, ``seed``, ``steps``,
``cfgscale``, ``width``, ``height``, ``sampler``, ``scheduler``, ``initimagecreativity`` (img2img
strength), ``refinermodel`` / ``refinercontrolpercentage`` / ``refinersteps`` / ``refinerupscale``
(a refiner pass), ``loras`` / ``loraweights``, ``swarm_version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.importer.json_text import json_object, looks_like_json_object, stripped
from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "swarmui-json"


class SwarmUIReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        for key in ("sui_image_params", "parameters", "UserComment"):
            source = texts.get(key)
            if source is None or not looks_like_json_object(source) or "sui_image_params" not in source:
                continue
            data = json_object(source)
            if isinstance(data, str):
                return Unreadable(FORMAT, f"the {key!r} text {data}")
            params = data.get("sui_image_params", data if key == "sui_image_params" else None)
            if not isinstance(params, dict):
                return Unreadable(FORMAT, f"the {key!r} text has no 'sui_image_params' object")
            return _run(params, {key: source})
        return None


def _run(params: Mapping[str, Any], raw: Mapping[str, str]) -> ImportedRun:
    creativity = params.get("initimagecreativity")
    image_to_image = creativity is not None and "initimage" in params
    first = ImportedStage(
        name="img2img" if image_to_image else "txt2img",
        sampler=text(params.get("sampler")),
        scheduler=text(params.get("scheduler")),
        steps=text(params.get("steps")),
        cfg_scale=text(params.get("cfgscale")),
        seed=text(params.get("seed")),
        size=f"{params['width']}x{params['height']}" if "width" in params and "height" in params else None,
        denoising_strength=text(creativity) if image_to_image else None,
    )
    stages = [first]
    if params.get("refinermodel") or params.get("refinercontrolpercentage") is not None:
        if params.get("refinerupscale") not in (None, 1, 1.0):
            stages.append(ImportedStage("upscale", settings={"scale": params["refinerupscale"]}))
        stages.append(
            ImportedStage(
                "img2img",
                sampler=first.sampler,
                scheduler=first.scheduler,
                steps=text(params.get("refinersteps")) or first.steps,
                cfg_scale=text(params.get("refinercfgscale")) or first.cfg_scale,
                seed=first.seed,
                denoising_strength=text(params.get("refinercontrolpercentage")),
            )
        )
    loras = params.get("loras")
    return ImportedRun(
        format=FORMAT,
        tool="swarmui",
        prompt=stripped(params.get("prompt")),
        negative_prompt=stripped(params.get("negativeprompt")),
        stages=tuple(stages),
        model=stripped(params.get("model")),
        version=text(params.get("swarm_version")),
        raw=raw,
        extra={"loras": loras, "loraweights": params.get("loraweights")} if isinstance(loras, list) else {},
        seed_max=2**63 - 1,
    )
