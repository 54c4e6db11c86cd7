"""Whatever the bytes or texts, every reader gives an imported run or a reason: never an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.importer.containers import NotAnImage, read_image_texts
from adapters.importer.image_importer import check_storable, plan_import
from adapters.importer.readers import READERS, read_texts
from domain.import_plan import ImportPlan
from domain.imported_run import ImportedRun, Unreadable
from tests.importer.graphs import txt2img_graph
from tests.importer.images import jpeg_bytes, png_bytes, tiff_exif, unicode_comment, webp_bytes

INFOTEXT = "a fox\nNegative prompt: rain\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 9, Size: 64x64"
KEYS = [
    "parameters",
    "UserComment",
    "stealth",
    "prompt",
    "workflow",
    "invokeai_metadata",
    "sd-metadata",
    "Dream",
    "Comment",
    "Description",
    "Software",
    "Source",
    "fooocus_scheme",
    "sui_image_params",
]


def _rgba_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (16, 16), (1, 2, 3, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


SEEDS = [
    _rgba_png(),  # no text chunk, an alpha channel: the stealth reader decodes it
    png_bytes([("parameters", INFOTEXT, "tEXt")]),
    png_bytes([("prompt", json.dumps(txt2img_graph()), "zTXt"), ("workflow", "{}", "iTXt")]),
    jpeg_bytes(tiff_exif(unicode_comment(INFOTEXT))),
    webp_bytes(tiff_exif(unicode_comment(INFOTEXT), strings={0x010F: b'Prompt:{"1": {}}'})),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)
node_ids = st.sampled_from(["1", "2", "3", "4", "x"])
comfy_nodes = st.fixed_dictionaries(
    {
        "class_type": st.sampled_from(
            [
                "KSampler",
                "KSamplerAdvanced",
                "SamplerCustomAdvanced",
                "CLIPTextEncode",
                "EmptyLatentImage",
                "LoraLoader",
                "CheckpointLoaderSimple",
                "LatentUpscale",
                "VAEEncode",
                "ConditioningCombine",
            ]
        ),
        "inputs": st.dictionaries(
            st.sampled_from(
                [
                    "seed",
                    "steps",
                    "cfg",
                    "sampler_name",
                    "text",
                    "width",
                    "height",
                    "model",
                    "positive",
                    "negative",
                    "latent_image",
                    "samples",
                    "conditioning",
                    "ckpt_name",
                    "lora_name",
                    "guider",
                    "sigmas",
                    "noise",
                    "sampler",
                    "denoise",
                ]
            ),
            st.one_of(json_values, st.tuples(node_ids, st.integers(0, 2)).map(list)),
            max_size=8,
        ),
    }
)
ui_nodes = st.fixed_dictionaries(
    {
        "id": st.one_of(st.integers(0, 5), st.text(max_size=2)),
        "type": st.sampled_from(
            ["KSampler", "CLIPTextEncode", "Reroute", "PrimitiveNode", "EmptyLatentImage"]
        ),
        "mode": st.sampled_from([0, 2, 4]),
        "inputs": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(["model", "positive", "latent_image", ""]),
                        "link": st.one_of(st.none(), st.integers(0, 5)),
                    }
                ),
                max_size=4,
            ),
        ),
        "widgets_values": json_values,
    }
)
workflows = st.fixed_dictionaries(
    {
        "nodes": st.lists(ui_nodes, max_size=6),
        "links": st.lists(
            st.lists(st.one_of(st.integers(0, 5), st.text(max_size=2)), max_size=6), max_size=6
        ),
    }
)
metadata_texts = st.one_of(
    workflows.map(json.dumps),
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.dictionaries(node_ids, comfy_nodes, max_size=5).map(json.dumps),
    st.builds(lambda extra: INFOTEXT + extra, st.text(max_size=60)),
)


def no_exception_plan(tmp_path: Path, data: bytes) -> ImportPlan:
    path = tmp_path / "file.png"
    path.write_bytes(data)
    plan = plan_import([path], set())
    assert len(plan.records) + len(plan.skipped) == 1
    for skipped in plan.skipped:
        assert skipped.reason
        assert "\n" not in skipped.reason
    for record in plan.records:
        check_storable(record)
    return plan


@settings(max_examples=150, deadline=None)
@given(texts=st.dictionaries(st.sampled_from(KEYS), metadata_texts, max_size=4))
def test_every_reader_answers_any_texts_with_a_run_a_reason_or_none(texts: dict[str, str]) -> None:
    for reader in READERS:
        found = reader.read(texts)
        assert found is None or isinstance(found, (ImportedRun, Unreadable))
        if isinstance(found, Unreadable):
            assert found.reason
            assert "\n" not in found.reason
    read_texts(texts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_give_a_record_or_a_reason(tmp_path: Path, data: bytes) -> None:
    no_exception_plan(tmp_path, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
)
def test_damaged_real_containers_give_a_record_or_a_reason(
    tmp_path: Path, seed: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(seed[: max(1, len(seed) - cut % len(seed))])
    for at, value in flips:
        data[at % len(data)] = value
    no_exception_plan(tmp_path, bytes(data))
    reason = ""
    try:
        read_image_texts(bytes(data))
    except NotAnImage as exc:
        reason = str(exc) or "(empty)"
    assert reason != "(empty)"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.dictionaries(st.sampled_from(KEYS), metadata_texts, min_size=1, max_size=3))
def test_any_metadata_in_a_png_gives_a_record_or_a_reason(tmp_path: Path, texts: dict[str, Any]) -> None:
    chunks = [(key, value, "iTXt") for key, value in texts.items()]
    no_exception_plan(tmp_path, png_bytes(chunks))
