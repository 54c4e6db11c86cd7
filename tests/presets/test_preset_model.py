"""CheckPresetModel against the fake backend (current model fake-model-v1)."""

from __future__ import annotations

from adapters.backends.fake import DEFAULT_MODEL, FakeImageBackend, model_hash
from application.preset_model import CheckPresetModel
from domain.preset import SettingEvidence
from tests.contract.preset_store_contract import preset

CURRENT = model_hash(DEFAULT_MODEL)


def test_the_current_models_hash_is_checked_before_the_run() -> None:
    fits = CheckPresetModel(FakeImageBackend())(preset(model_hash=CURRENT), "")
    assert (fits.checked, fits.mismatch, fits.warnings) == (True, False, ())
    named = CheckPresetModel(FakeImageBackend())(preset(model_hash=CURRENT), DEFAULT_MODEL)
    assert (named.checked, named.mismatch) == (True, False)


def test_another_hash_is_a_mismatch_with_one_warning() -> None:
    fit = CheckPresetModel(FakeImageBackend())(preset(model_hash="ffff"), "")
    assert (fit.checked, fit.mismatch) == (True, True)
    assert len(fit.warnings) == 1
    assert "ffff" in fit.warnings[0]


def test_a_model_other_than_the_current_one_cannot_be_checked_before_the_run() -> None:
    fit = CheckPresetModel(FakeImageBackend())(preset(model_hash=CURRENT), "fake-model-xl")
    assert (fit.checked, fit.mismatch, fit.warnings) == (False, False, ())


def test_a_preset_without_a_hash_fits_any_model() -> None:
    fit = CheckPresetModel(FakeImageBackend())(preset(model_hash=""), "fake-model-xl")
    assert (fit.checked, fit.mismatch) == (True, False)


def test_a_model_the_backend_no_longer_has_is_a_warning() -> None:
    evidence = {"model": SettingEvidence("retired", 4.0, 3.5, 4.5, "other", 2.0, 10, 1, "controlled")}
    gone = preset(settings={"model": "retired"}, evidence=evidence, model_hash="")
    fit = CheckPresetModel(FakeImageBackend())(gone, "retired")
    assert fit.warnings == (
        "preset portraits-best sets model retired, which the backend does not have (any more)",
    )
    overridden = CheckPresetModel(FakeImageBackend())(gone, DEFAULT_MODEL)
    assert overridden.warnings == ()
