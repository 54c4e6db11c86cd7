"""The one-line messages made from ComfyUI's answers, shape by shape."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.backends.comfyui import errors
from adapters.backends.comfyui.history import read_entry


def test_a_400_without_node_errors_names_comfyuis_own_message() -> None:
    body = {
        "error": {
            "type": "invalid_prompt",
            "message": "Cannot execute because node FancyNode does not exist.",
            "details": "Node ID '#7'",
            "extra_info": {},
        },
        "node_errors": {},
    }

    error = errors.prompt_refused(body, queued=False)

    assert error.message == (
        "ComfyUI refused the prompt: Cannot execute because node FancyNode does not exist. (Node ID '#7')"
    )
    assert error.hint is not None
    assert "\n" not in str(error)


def test_node_errors_name_the_node_its_class_and_the_input() -> None:
    body = {
        "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation"},
        "node_errors": {
            "3": {
                "errors": [
                    {
                        "type": "value_not_in_list",
                        "message": "Value not in list",
                        "details": "sampler_name: 'dpmpp_9m' not in ['euler',\n 'dpmpp_2m']",
                        "extra_info": {"input_name": "sampler_name"},
                    }
                ],
                "dependent_outputs": ["9"],
                "class_type": "KSampler",
            }
        },
    }

    error = errors.prompt_refused(body, queued=False)

    assert error.message.startswith(
        "ComfyUI refused the prompt: node 3 (KSampler) input sampler_name: Value not in list (sampler_name:"
    )
    assert "\n" not in error.message
    assert error.hint is not None
    assert "backend check" in error.hint


@pytest.mark.parametrize(
    ("kind", "message", "oom"),
    [
        ("torch.OutOfMemoryError", "Allocation on device 0 would exceed allowed memory.", True),
        ("RuntimeError", "CUDA error: out of memory", True),
        ("RuntimeError", "mat1 and mat2 shapes cannot be multiplied", False),
    ],
)
def test_execution_errors_recognise_out_of_memory(kind: str, message: str, oom: bool) -> None:
    error = errors.execution_error(
        {"node_id": "11", "node_type": "KSampler", "exception_type": kind, "exception_message": message}
    )

    assert error.message.startswith(
        "ComfyUI ran out of GPU memory in node 11 (KSampler)"
        if oom
        else "ComfyUI failed in node 11 (KSampler)"
    )
    assert f"{kind}: {message}" in error.message
    assert error.retryable is oom


def test_a_long_message_is_cut_to_one_line() -> None:
    error = errors.execution_error({"node_id": "1", "exception_type": "E", "exception_message": "x\n" * 500})

    assert "\n" not in error.message
    assert len(error.message) < 320


def entry(status: dict[str, Any] | None, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"outputs": outputs or {}}
    if status is not None:
        made["status"] = status
    return made


def test_a_history_entry_without_status_is_finished_as_older_servers_write_it() -> None:
    outputs = {"9": {"images": [{"filename": "a_00001_.png", "subfolder": "", "type": "output"}]}}

    finished = read_entry(entry(None, outputs), "p")

    assert finished is not None
    assert [f.filename for f in finished.files["9"]] == ["a_00001_.png"]


def test_an_incomplete_entry_is_waited_for_and_an_error_status_is_a_failure() -> None:
    assert read_entry(entry({"status_str": None, "completed": False, "messages": []}), "p") is None
    with pytest.raises(Exception, match="failed"):
        read_entry(entry({"status_str": "error", "completed": False, "messages": []}), "p")


def test_the_timing_comes_from_the_history_messages() -> None:
    status = {
        "status_str": "success",
        "completed": True,
        "messages": [
            ["execution_start", {"prompt_id": "p", "timestamp": 1000}],
            ["execution_cached", {"nodes": ["1", "2"], "prompt_id": "p", "timestamp": 1001}],
            ["execution_success", {"prompt_id": "p", "timestamp": 3500}],
        ],
    }

    finished = read_entry(entry(status), "p")

    assert finished is not None
    assert finished.execution_ms == 2500
    assert finished.cached_nodes == ("1", "2")
