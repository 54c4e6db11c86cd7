from __future__ import annotations

from itertools import count

from adapters.backends.fake import FakeImageBackend
from application import PipelineController, PipelineRunner
from domain import RecordSink
from tests.factories import make_config
from tests.fakes import FakeClock, InMemoryArtifactStore, InMemoryRecordSink


class SinkFactory:
    def __init__(self) -> None:
        self.built: list[InMemoryRecordSink] = []

    def __call__(self) -> RecordSink:
        self.built.append(InMemoryRecordSink())
        return self.built[-1]


def make_controller(factory: SinkFactory, **kwargs: bool) -> PipelineController:
    ids = count(1)
    return PipelineController(
        FakeImageBackend(),
        InMemoryArtifactStore(),
        FakeClock(),
        factory,
        run_ids=lambda: f"r{next(ids)}",
        **kwargs,
    )


def test_learning_is_off_by_default_and_the_sink_is_never_built() -> None:
    factory = SinkFactory()
    controller = make_controller(factory)
    assert controller.learning_enabled is False
    result = controller.run(make_config())
    assert result.succeeded
    assert factory.built == []
    assert not result.learning.enabled


def test_sink_is_built_once_when_learning_is_on() -> None:
    factory = SinkFactory()
    controller = make_controller(factory, learning_enabled=True)
    controller.run(make_config(seed=1))
    controller.run(make_config(seed=2))
    assert len(factory.built) == 1
    assert [r.run_id for r in factory.built[0].records] == ["r1", "r2"]


def test_learning_can_be_switched_at_run_time() -> None:
    factory = SinkFactory()
    controller = make_controller(factory)
    controller.run(make_config())
    controller.learning_enabled = True
    controller.run(make_config())
    controller.learning_enabled = False
    controller.run(make_config())
    assert len(factory.built) == 1
    assert [r.run_id for r in factory.built[0].records] == ["r2"]


def test_disabled_controller_equals_a_runner_with_no_learning() -> None:
    controller_result = make_controller(SinkFactory()).run(make_config(seed=3))
    plain = PipelineRunner(FakeImageBackend(), InMemoryArtifactStore(), FakeClock(), run_ids=lambda: "r1")
    assert controller_result == plain.run(make_config(seed=3))
