"""Use cases: run a pipeline, decide about learning, build its record. Depends only on domain."""

from application.controller import PipelineController
from application.record_builder import build_learning_record
from application.runner import PipelineRunner, RunObserver

__all__ = ["PipelineController", "PipelineRunner", "RunObserver", "build_learning_record"]
