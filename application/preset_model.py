"""Before a run with a preset: does the run's model fit the model the preset was derived from?"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import StableNewError
from domain.ports import BackendInspector, ImageBackend
from domain.preset import Preset


@dataclass(frozen=True, slots=True)
class ModelFit:
    """``checked``: the run's model hash was compared with the preset's before the run (or the preset
    names no hash); ``mismatch``: it differs. ``warnings`` are one line each."""

    checked: bool
    mismatch: bool
    warnings: tuple[str, ...]


class CheckPresetModel:
    """Compares the preset's model hash with the hash of the model the run will use. That hash is
    known before the run only when the run uses the backend's current model (``run_model`` empty or
    that model's name); otherwise ``checked`` is False and the caller compares after the run.

    A preset that sets a model the backend does not list gets a warning (the backend's pre-flight
    check refuses the run anyway, naming the model). An unreachable backend is not an error here:
    the run reports it.
    """

    def __init__(self, backend: ImageBackend) -> None:
        self._backend = backend

    def __call__(self, preset: Preset, run_model: str) -> ModelFit:
        warnings = [warning] if (warning := self._gone(preset, run_model)) else []
        if not preset.model_hash:
            return ModelFit(True, False, tuple(warnings))
        try:
            current = self._backend.describe()
        except StableNewError:
            return ModelFit(False, False, tuple(warnings))
        if run_model and run_model != current.model:
            return ModelFit(False, False, tuple(warnings))
        mismatch = preset.model_warning(current.model_hash)
        return ModelFit(True, mismatch is not None, (*warnings, *([mismatch] if mismatch else [])))

    def _gone(self, preset: Preset, run_model: str) -> str | None:
        model = preset.settings.get("model")
        if (
            not isinstance(model, str)
            or run_model != model
            or not isinstance(self._backend, BackendInspector)
        ):
            return None
        try:
            known = self._backend.report().models
        except StableNewError:
            return None
        if not known or model in known:
            return None
        return f"preset {preset.name} sets model {model}, which the backend does not have (any more)"
