"""Use cases: run a pipeline, decide about learning, build its record. Depends only on domain.

The names below are loaded on first use (PEP 562), so importing one use case (a listing's
``History``) does not load the run side.
"""

from typing import TYPE_CHECKING

from domain import lazy_names

if TYPE_CHECKING:
    from application.controller import PipelineController
    from application.record_builder import build_learning_record
    from application.runner import PipelineRunner, RunObserver

_HOME = {
    "PipelineController": "application.controller",
    "PipelineRunner": "application.runner",
    "RunObserver": "application.runner",
    "build_learning_record": "application.record_builder",
}


__getattr__ = lazy_names(__name__, _HOME)

__all__ = ["PipelineController", "PipelineRunner", "RunObserver", "build_learning_record"]
