"""NovelAI: PNG texts ``Software`` (``NovelAI``), ``Description`` (the prompt), ``Source`` (the model),
and ``Comment``: JSON with ``prompt``, ``uc`` (negative), ``steps``, ``scale`` (CFG), ``seed``,
``sampler``, ``noise_schedule``, ``width``, ``height``, ``strength``, ``request_type``.

Taken when ``Software`` says NovelAI, or the ``Comment`` is a JSON object with NovelAI's ``uc``
key. The same texts as JSON in stealth alpha bits are read too. ``Comment``'s prompt (or v4's
``v4_prompt.caption.base_caption``) wins over ``Description``; an img2img request
(``request_type`` naming Img2Img) gives an img2img stage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from adapters.importer.json_text import json_object, looks_like_json_object, stripped
from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "novelai"
_TEXTS = ("Software", "Description", "Source", "Comment")


class NovelAIReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        found = dict(texts)
        hidden = _stealth(texts.get("stealth"))
        if hidden is not None:
            found = hidden | found
        comment = found.get("Comment")
        software = found.get("Software", "")
        has_uc = looks_like_json_object(comment) and '"uc"' in (comment or "")
        if not software.strip().lower().startswith("novelai") and not has_uc:
            return None
        raw: dict[str, str] = {key: found[key] for key in _TEXTS if key in found}
        if hidden is not None:
            raw = {"stealth": texts["stealth"]}
        data = json_object(comment) if comment is not None else {}
        if isinstance(data, str):
            return Unreadable(FORMAT, f"the 'Comment' text {data}")
        image_to_image = "img2img" in str(data.get("request_type", "")).lower()
        stage = ImportedStage(
            name="img2img" if image_to_image else "txt2img",
            sampler=text(data.get("sampler")),
            scheduler=text(data.get("noise_schedule")),
            steps=text(data.get("steps")),
            cfg_scale=text(data.get("scale")),
            seed=text(data.get("seed")),
            size=f"{data['width']}x{data['height']}" if "width" in data and "height" in data else None,
            denoising_strength=text(data.get("strength")) if image_to_image else None,
        )
        prompt = (
            stripped(data.get("prompt"))
            or _v4_caption(data.get("v4_prompt"))
            or stripped(found.get("Description"))
        )
        return ImportedRun(
            format=FORMAT,
            tool="novelai",
            prompt=prompt,
            negative_prompt=stripped(data.get("uc")) or _v4_caption(data.get("v4_negative_prompt")),
            stages=(stage,),
            model=stripped(found.get("Source")),
            raw=raw,
        )


def _v4_caption(value: object) -> str | None:
    """NovelAI v4's ``{"caption": {"base_caption": ...}}`` prompt form."""
    caption = value.get("caption") if isinstance(value, dict) else None
    return stripped(caption.get("base_caption")) if isinstance(caption, dict) else None


def _stealth(source: str | None) -> dict[str, str] | None:
    """NovelAI's texts when the stealth bits hold them as one JSON object."""
    if not looks_like_json_object(source):
        return None
    data = json_object(source or "")
    if isinstance(data, str) or not str(data.get("Software", "")).lower().startswith("novelai"):
        return None
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in data.items()
        if key in ("Software", "Description", "Source", "Comment")
    }
