"""ComfyUI's UI workflow graph, read when no API prompt graph is there."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.importer.comfyui_workflow import ComfyUIWorkflowReader, api_graph
from adapters.importer.readers import read_texts
from domain.imported_run import ImportedRun, Unreadable


def ui_node(
    node_id: int, kind: str, widgets: Any = None, inputs: list[tuple[str, int | None]] = (), mode: int = 0
) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": kind,
        "mode": mode,
        "inputs": [{"name": name, "link": link} for name, link in inputs],
        "widgets_values": widgets,
    }


def workflow() -> dict[str, Any]:
    nodes = [
        ui_node(
            3,
            "KSampler",
            [42, "randomize", 20, 7, "euler", "karras", 1.0],
            [("model", 1), ("positive", 2), ("negative", 3), ("latent_image", 4), ("steps", 5)],
        ),
        ui_node(4, "CheckpointLoaderSimple", ["model.safetensors"]),
        ui_node(5, "EmptyLatentImage", [768, 512, 1]),
        ui_node(6, "CLIPTextEncode", ["a red boat "], [("clip", None)]),
        ui_node(7, "CLIPTextEncode", ["fog"], [("clip", None)]),
        ui_node(8, "PrimitiveNode", [33, "fixed"]),
        ui_node(9, "Reroute", None, [("", 6)]),
        ui_node(10, "KSampler", [1, "fixed", 5, 1, "euler", "normal", 1.0], [("latent_image", 4)], mode=2),
        ui_node(11, "SomeCustomNode", {"strength": 0.3}),
    ]
    links = [
        [1, 4, 0, 3, 0, "MODEL"],
        [2, 9, 0, 3, 1, "CONDITIONING"],  # through the Reroute
        [6, 6, 0, 9, 0, "CONDITIONING"],
        [3, 7, 0, 3, 2, "CONDITIONING"],
        [4, 5, 0, 3, 3, "LATENT"],
        [5, 8, 0, 3, 4, "INT"],  # steps from a primitive
    ]
    return {"nodes": nodes, "links": links}


def test_a_ui_workflow_is_read_like_the_api_graph() -> None:
    found = ComfyUIWorkflowReader().read({"workflow": json.dumps(workflow())})
    assert isinstance(found, ImportedRun)
    assert (found.format, found.tool, found.prompt, found.negative_prompt, found.model) == (
        "comfyui-workflow",
        "comfyui",
        "a red boat",
        "fog",
        "model.safetensors",
    )
    (stage,) = found.stages  # the muted sampler is left out
    assert (stage.seed, stage.steps, stage.cfg_scale, stage.sampler, stage.scheduler, stage.size) == (
        "42",
        "33",
        "7",
        "euler",
        "karras",
        "768x512",
    )


def test_widget_values_are_named_only_for_known_nodes() -> None:
    graph = api_graph(workflow()["nodes"], workflow()["links"])
    assert graph["11"] == {"class_type": "SomeCustomNode", "inputs": {"strength": 0.3}}
    assert graph["8"]["inputs"] == {"value": 33}
    assert graph["3"]["inputs"]["positive"] == ["6", 0]
    assert "10" not in graph


def test_the_api_graph_wins_when_both_are_there() -> None:
    prompt = {"1": {"class_type": "KSampler", "inputs": {"seed": 5}}}
    found = read_texts({"prompt": json.dumps(prompt), "workflow": json.dumps(workflow())})
    assert isinstance(found, ImportedRun)
    assert found.format == "comfyui-prompt"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{oops", "the 'workflow' graph is not JSON"),
        ('{"nodes": 5}', "the 'workflow' text has no 'nodes' list"),
        ('{"nodes": [{"id": 1, "type": "SaveImage"}], "links": "x"}', "no sampler node"),
    ],
)
def test_a_broken_workflow_is_unreadable(source: str, reason: str) -> None:
    found = ComfyUIWorkflowReader().read({"workflow": source})
    assert isinstance(found, Unreadable)
    assert found.reason.startswith(reason)
    assert "'prompt'" not in found.reason


def test_reroute_cycles_end() -> None:
    nodes = [ui_node(1, "Reroute", None, [("", 1)]), ui_node(2, "KSampler", [1, "fixed"], [("positive", 1)])]
    graph = api_graph(nodes, [[1, 1, 0, 2, 0, "X"]])
    assert "positive" not in graph["2"]["inputs"]
