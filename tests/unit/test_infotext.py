"""The A1111 infotext: what the writer produces and what the reader makes of it."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.infotext import ParsedInfotext, format_infotext, parse_infotext

A1111_EXAMPLE = (
    "a cat\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.0, Seed: 1234, Size: 512x768, "
    "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1"
)
PARAMS = {"Steps": 20, "Sampler": "Euler a", "CFG scale": 7.0, "Seed": 42, "Size": "512x512"}


def test_format_writes_prompt_negative_and_one_parameter_line_in_order() -> None:
    text = format_infotext("a cat\non a mat", "blurry", PARAMS)

    assert text == (
        "a cat\non a mat\nNegative prompt: blurry\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 7.0, Seed: 42, Size: 512x512"
    )


def test_format_leaves_out_empty_negative_prompt_and_none_values() -> None:
    text = format_infotext("a cat", "", {"Steps": 20, "Image CFG scale": None, "Seed": 1, "Size": "64x64"})

    assert text == "a cat\nSteps: 20, Seed: 1, Size: 64x64"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("detail: 0123abcd, style: 4567ef01", '"detail: 0123abcd, style: 4567ef01"'),
        ("two\nlines", '"two\\nlines"'),
        ("café, crème", '"café, crème"'),
        ('"quoted"', '"\\"quoted\\""'),
        ("plain é", "plain é"),
    ],
)
def test_format_json_quotes_values_with_separators_and_keeps_non_ascii(value: str, written: str) -> None:
    text = format_infotext("p", "", {"Steps": 1, "Lora hashes": value, "Seed": 2})

    assert text.splitlines()[-1] == f"Steps: 1, Lora hashes: {written}, Seed: 2"


def test_format_refuses_a_key_the_format_cannot_hold() -> None:
    with pytest.raises(ValueError, match="Bad: key"):
        format_infotext("p", "", {"Bad: key": 1})


def test_parse_reads_the_a1111_example() -> None:
    parsed = parse_infotext(A1111_EXAMPLE)

    assert parsed.prompt == "a cat"
    assert parsed.negative_prompt == "blurry, lowres"
    assert parsed.params["Model"] == "v1-5-pruned-emaonly"
    assert (parsed.params["Size-1"], parsed.params["Size-2"]) == ("512", "768")
    assert parsed.steps == 20
    assert parsed.sampler == "DPM++ 2M"
    assert parsed.schedule_type == "Karras"
    assert parsed.cfg_scale == 7.0
    assert parsed.seed == 1234
    assert parsed.size == (512, 768)
    assert parsed.model == "v1-5-pruned-emaonly"
    assert parsed.model_hash == "6ce0161689"
    assert parsed.version == "v1.10.1"


def test_parse_keeps_unknown_keys_and_unquotes_json_values() -> None:
    text = 'p\nSteps: 20, Lora hashes: "detail: 0123abcd, style: 4567ef01", Emphasis: Original, Seed: 3'

    parsed = parse_infotext(text)

    assert parsed.params == {
        "Steps": "20",
        "Lora hashes": "detail: 0123abcd, style: 4567ef01",
        "Emphasis": "Original",
        "Seed": "3",
    }


@pytest.mark.parametrize("written", ["7", "7.0"])
def test_parse_accepts_integer_and_decimal_cfg_scale(written: str) -> None:
    parsed = parse_infotext(f"p\nSteps: 20, CFG scale: {written}, Seed: 1")

    assert parsed.cfg_scale == 7.0


def test_last_line_with_fewer_than_three_pairs_is_prompt() -> None:
    parsed = parse_infotext("a portrait\nstyle: oil, mood: calm")

    assert parsed.prompt == "a portrait\nstyle: oil, mood: calm"
    assert parsed.params == {}


def test_multi_line_negative_prompt_runs_up_to_the_parameter_line() -> None:
    parsed = parse_infotext("a\nb\nNegative prompt: c\nd\nSteps: 1, Seed: 2, Size: 64x64")

    assert (parsed.prompt, parsed.negative_prompt) == ("a\nb", "c\nd")


def test_text_without_parameters_is_all_prompt() -> None:
    assert parse_infotext("just words") == ParsedInfotext("just words", "", {})


def test_windows_line_ending_on_the_parameter_line_is_ignored() -> None:
    parsed = parse_infotext("a cat\r\nSteps: 20, Seed: 5, Version: v1\r\n".rstrip("\n"))

    assert parsed.version == "v1"
    assert parsed.prompt == "a cat\r"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"Steps": "many"}, "steps"),
        ({"Seed": "1.5"}, "seed"),
        ({"CFG scale": "high"}, "cfg_scale"),
        ({"CFG scale": "nan"}, "cfg_scale"),
        ({"Size": "512 by 512"}, "size"),
        ({}, "model"),
        ({}, "model_hash"),
        ({}, "sampler"),
        ({}, "schedule_type"),
        ({}, "denoising_strength"),
    ],
)
def test_typed_accessors_give_none_when_absent_or_malformed(params: dict[str, str], field: str) -> None:
    assert getattr(ParsedInfotext("p", "", params), field) is None


def test_garbage_segments_on_the_parameter_line_are_skipped() -> None:
    parsed = parse_infotext("p\nSteps: 20, junk without colon, Seed: 7, Size: 64x128")

    assert (parsed.steps, parsed.seed, parsed.size) == (20, 7, (64, 128))
    assert "junk without colon" not in parsed.params


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list(',:"\n\r\\ 🐱🎨שלום عربي')),
    ),
    max_size=60,
)


def _representable(prompt: str) -> bool:
    return not any(line.startswith("Negative prompt:") for line in prompt.split("\n"))


@given(prompt=_TEXT, negative=_TEXT, note=_TEXT)
def test_any_prompt_survives_format_then_parse(prompt: str, negative: str, note: str) -> None:
    assume(_representable(prompt))
    params = {**PARAMS, "Note": note}

    parsed = parse_infotext(format_infotext(prompt, negative, params))

    assert parsed.prompt == prompt
    assert parsed.negative_prompt == negative
    assert parsed.params["Note"] == note
    assert parsed.params["Sampler"] == "Euler a"
    assert parsed.seed == 42


@pytest.mark.parametrize(
    "prompt",
    ["🐱 cat, 猫: ねこ", "שלום עולם, مرحبا", 'say "hi"\n\nthen: leave,', "", " padded ", "trailing\n"],
)
def test_awkward_prompts_survive_exactly(prompt: str) -> None:
    parsed = parse_infotext(format_infotext(prompt, "no, \"bad\": 'hands'\n", PARAMS))

    assert (parsed.prompt, parsed.negative_prompt) == (prompt, "no, \"bad\": 'hands'\n")


# Beyond A1111's own reader: what real files hold.

SETTINGS = "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x768"


@pytest.mark.parametrize("ending", ["\n", "\n\n", "\r\n", "\n  \n"])
def test_blank_lines_after_the_settings_line_are_ignored(ending: str) -> None:
    parsed = parse_infotext(f"a cat\nNegative prompt: dog\n{SETTINGS}{ending}")
    assert (parsed.prompt, parsed.negative_prompt, parsed.seed) == ("a cat", "dog", 5)


def test_template_lines_after_the_settings_line_are_read_as_values() -> None:
    text = (
        "a red cat\nNegative prompt: blurry\n"
        f"{SETTINGS}\nTemplate: a {{red|blue}} cat,\nwith a hat: yes\nNegative Template: __bad__, x: y\n"
    )
    parsed = parse_infotext(text)
    assert (parsed.prompt, parsed.negative_prompt, parsed.seed) == ("a red cat", "blurry", 5)
    assert parsed.params["Template"] == "a {red|blue} cat,\nwith a hat: yes"
    assert parsed.params["Negative Template"] == "__bad__, x: y"


def test_lines_after_the_settings_line_that_are_no_extension_make_it_prompt() -> None:
    text = f"a cat\n{SETTINGS}\njust more prompt"
    assert parse_infotext(text) == ParsedInfotext(text, "", {})


def test_json_object_and_list_values_are_kept_whole() -> None:
    parsed = parse_infotext(
        'p\nSteps: 20, Hashes: {"vae": "c6a580b13a", "model": "6ce0161689"}, Seed: 1, List: [1, 2], Size: 8x8'
    )
    assert parsed.params["Hashes"] == '{"vae": "c6a580b13a", "model": "6ce0161689"}'
    assert parsed.params["List"] == "[1, 2]"
    assert (parsed.seed, parsed.size) == (1, (8, 8))


def test_quoted_values_with_commas_colons_and_escapes() -> None:
    parsed = parse_infotext(
        'p\nSteps: 20, ADetailer prompt: "a face, smiling: 1.2", Lora hashes: "x: 0123456789ab", '
        'ControlNet 0: "Module: canny, Model: cn \\"v1\\"", Seed: 9'
    )
    assert parsed.params["ADetailer prompt"] == "a face, smiling: 1.2"
    assert parsed.params["Lora hashes"] == "x: 0123456789ab"
    assert parsed.params["ControlNet 0"] == 'Module: canny, Model: cn "v1"'
    assert parsed.seed == 9


@pytest.mark.parametrize(
    ("sampler", "schedule", "expected"),
    [
        ("DPM++ 2M Karras", None, ("DPM++ 2M", "Karras")),
        ("DPM2 a Karras", None, ("DPM2 a", "Karras")),
        ("DPM++ 2M SDE Exponential", None, ("DPM++ 2M SDE", "Exponential")),
        ("Euler SGMUniform", None, ("Euler", "SGM Uniform")),
        ("DPM++ 2M Karras", "Exponential", ("DPM++ 2M", "Exponential")),
        ("DPM++ 2M", "Karras", ("DPM++ 2M", "Karras")),
        ("Euler a", None, ("Euler a", None)),
        ("Karras", None, ("Karras", None)),
        ("DPM2++ SDE FlowMatch", None, ("DPM2++ SDE FlowMatch", None)),
    ],
)
def test_older_sampler_names_carrying_the_scheduler_are_split(
    sampler: str, schedule: str | None, expected: tuple[str, str | None]
) -> None:
    params = {"Sampler": sampler} | ({"Schedule type": schedule} if schedule else {})
    assert ParsedInfotext("p", "", params).sampler_and_scheduler == expected


@pytest.mark.parametrize("model_hash", ["a2a802b2", "c0d1994c73"])
def test_8_and_10_hex_model_hashes_are_kept_as_written(model_hash: str) -> None:
    assert parse_infotext(f"p\nSteps: 1, Seed: 2, Model hash: {model_hash}").model_hash == model_hash
