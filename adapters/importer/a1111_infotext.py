"""AUTOMATIC1111 / Forge / reForge / SD.Next infotext: PNG ``parameters``, EXIF UserComment, or stealth.

The text is parsed by ``domain.infotext``. JSON (Fooocus, SwarmUI write JSON, sometimes in a
chunk named ``parameters``) is never taken as infotext. A UserComment, a JPEG comment or a
stealth text (alpha bits, adapters/importer/stealth.py) is taken only when it has a settings
line; a ``parameters`` chunk always is (its prompt at least).

Stages: ``Denoising strength`` without hires-fix keys is an img2img run. A hires fix is the
first pass (txt2img), an ``upscale`` (``Hires upscaler``, ``Hires upscale``) and a second pass
(img2img with the denoising strength, ``Hires steps`` when not 0, ``Hires sampler`` when given).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from domain.imported_run import ImportedRun, ImportedStage, Unreadable
from domain.infotext import ParsedInfotext, parse_infotext, split_sampler
from domain.ports import MetadataReader

FORMAT = "a1111-infotext"
_SIZE = re.compile(r"\s*(\d{1,6})\s*x\s*(\d{1,6})\s*")
_FORGE_VERSION = re.compile(r"f\d+\.\d+")


class A1111InfotextReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        for key in ("parameters", "UserComment", "Comment", "stealth"):
            text = texts.get(key)
            if text is None or not text.strip() or _is_json(text):
                continue
            parsed = parse_infotext(text)
            if key != "parameters" and not parsed.params:
                continue
            return imported_run(parsed, {key: text})
        return None


def _is_json(text: str) -> bool:
    """True for a JSON object or list (Fooocus, SwarmUI), never for a prompt like ``[a:b:0.5]``."""
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        return isinstance(json.loads(text), (dict, list))
    except (ValueError, RecursionError):
        return False


def imported_run(parsed: ParsedInfotext, raw: Mapping[str, str]) -> ImportedRun:
    """The run an infotext states."""
    params = parsed.params
    sampler, scheduler = parsed.sampler_and_scheduler
    hires = any(key.startswith("Hires") for key in params)
    first = ImportedStage(
        name="img2img" if "Denoising strength" in params and not hires else "txt2img",
        sampler=sampler,
        scheduler=scheduler,
        steps=params.get("Steps"),
        cfg_scale=params.get("CFG scale"),
        seed=params.get("Seed"),
        size=params.get("Size"),
        denoising_strength=None if hires else params.get("Denoising strength"),
    )
    stages = [first, *(_hires_stages(params, first) if hires else ())]
    return ImportedRun(
        format=FORMAT,
        tool=tool_of(params),
        prompt=parsed.prompt,
        negative_prompt=parsed.negative_prompt,
        stages=tuple(stages),
        model=params.get("Model"),
        model_hash=params.get("Model hash"),
        version=params.get("Version"),
        raw=raw,
        image_size_stands_in=True,
    )


def tool_of(params: Mapping[str, str]) -> str:
    """sdnext, forge or a1111, by what the settings line says of its writer."""
    if params.get("App", "").strip().lower() == "sd.next":
        return "sdnext"
    version = params.get("Version", "").strip()
    if version.lower().startswith("fooocus"):
        return "fooocus"
    if _FORGE_VERSION.match(version):
        return "forge"
    if version.lower().startswith("classic") or "reforge" in version.lower():
        return "reforge"
    return "a1111"


def _hires_stages(params: Mapping[str, str], first: ImportedStage) -> list[ImportedStage]:
    settings: dict[str, Any] = {}
    if "Hires upscaler" in params:
        settings["upscaler"] = params["Hires upscaler"]
    if "Hires upscale" in params:
        settings["scale"] = params["Hires upscale"]
    steps = params.get("Hires steps")
    hires_sampler, hires_scheduler = split_sampler(
        params.get("Hires sampler"), params.get("Hires schedule type")
    )
    second = ImportedStage(
        name="img2img",
        sampler=hires_sampler or first.sampler,
        scheduler=hires_scheduler or first.scheduler,
        steps=steps if steps is not None and steps.strip() not in ("", "0") else first.steps,
        cfg_scale=params.get("Hires CFG Scale", first.cfg_scale),
        seed=first.seed,
        size=_hires_size(params),
        denoising_strength=params.get("Denoising strength"),
    )
    return [ImportedStage(name="upscale", settings=settings), second]


def _hires_size(params: Mapping[str, str]) -> str | None:
    """``Hires resize`` when given, else ``Size`` times ``Hires upscale`` (as A1111 computes it)."""
    resize = _SIZE.fullmatch(params.get("Hires resize", ""))
    if resize and int(resize.group(1)) and int(resize.group(2)):
        return f"{int(resize.group(1))}x{int(resize.group(2))}"
    size = _SIZE.fullmatch(params.get("Size", ""))
    try:
        scale = float(params.get("Hires upscale", ""))
    except ValueError:
        return None
    if size is None or not 0 < scale <= 16:
        return None
    return f"{int(int(size.group(1)) * scale)}x{int(int(size.group(2)) * scale)}"
