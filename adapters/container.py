"""The composition root: the one place that knows which adapter serves which port.

Adapters with heavy imports (Pillow, httpx, filelock, sqlite3, DuckDB) are imported by small
factories when first built, and so are the use cases a listing does not run (with the domain
values they pull in), so a command loads only what it uses: ``records list`` loads no Pillow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.feedback.author import feedback_author
from adapters.record_store.null import NullRecordSink
from application.history import History
from domain.ports import BackendInspector

if TYPE_CHECKING:
    from pydantic import SecretStr

    from adapters.feedback.jsonl import JsonlFeedbackStore
    from adapters.jsonl_log import Durability
    from adapters.plans.plan_file import PlanSource
    from adapters.postgres.database import PostgresDatabase
    from adapters.record_store.jsonl import JsonlRecordStore
    from adapters.settings import Settings
    from application.check_backend import CheckBackend
    from application.controller import PipelineController
    from application.export_runs import ExportRuns
    from application.feedback_recorder import FeedbackRecorder
    from application.history_packs import ListPacks
    from application.import_images import ImportImages
    from application.insights import DeriveInsights
    from application.insights_view import PictureInsights
    from application.llm_summary import SummarizeForLlm
    from application.plan_check import CheckPlan
    from application.plan_grid import PlanGrid
    from application.plan_run import RunPlan
    from application.plan_status import PlanStatus
    from application.plan_view import PlanViews
    from application.preset_model import CheckPresetModel
    from application.presets import DerivePreset, VerifyPreset
    from application.query_history import QueryHistory
    from application.queue_jobs import PruneQueue, QueuePlan, ShowQueue, SubmitRun
    from application.sync_history import SyncHistory
    from application.watch_imports import WatchImports
    from application.worker import RunWorker, WorkerPolicy
    from domain.ports import (
        ArtifactStore,
        BadLineReport,
        ContactSheetWriter,
        FeedbackStore,
        FolderWatcher,
        HistoryQueryEngine,
        ImageBackend,
        ImageImporter,
        JobQueue,
        KeyedFeedbackStore,
        KeyedRecordStore,
        MaintainedFile,
        PlanLock,
        PresetExporter,
        PresetStore,
        RecordSink,
        RunIndex,
        RunTableWriter,
    )
    from domain.record import LearningRecord


def _check_backend(**ports: Any) -> CheckBackend:
    from application.check_backend import CheckBackend

    return CheckBackend(**ports)


def _controller(**ports: Any) -> PipelineController:
    from application.controller import PipelineController

    return PipelineController(**ports)


def _export_runs(**ports: Any) -> ExportRuns:
    from application.export_runs import ExportRuns

    return ExportRuns(**ports)


def _feedback_recorder(**ports: Any) -> FeedbackRecorder:
    from application.feedback_recorder import FeedbackRecorder

    return FeedbackRecorder(**ports)


def _import_images(**ports: Any) -> ImportImages:
    from application.import_images import ImportImages

    return ImportImages(**ports)


def _watch_imports(**ports: Any) -> WatchImports:
    from application.watch_imports import WatchImports

    return WatchImports(**ports)


def _derive_insights(**ports: Any) -> DeriveInsights:
    from application.insights import DeriveInsights

    return DeriveInsights(**ports)


def _picture_insights(**ports: Any) -> PictureInsights:
    from application.insights_view import PictureInsights

    return PictureInsights(**ports)


def _derive_preset(**ports: Any) -> DerivePreset:
    from application.presets import DerivePreset

    return DerivePreset(**ports)


def _verify_preset(**ports: Any) -> VerifyPreset:
    from application.presets import VerifyPreset

    return VerifyPreset(**ports)


def _summarize_for_llm(**ports: Any) -> SummarizeForLlm:
    from application.llm_summary import SummarizeForLlm

    return SummarizeForLlm(**ports)


def _list_packs(**ports: Any) -> ListPacks:
    from application.history_packs import ListPacks

    return ListPacks(**ports)


def _check_preset_model(**ports: Any) -> CheckPresetModel:
    from application.preset_model import CheckPresetModel

    return CheckPresetModel(**ports)


def _run_plan(feedback: FeedbackStore, **ports: Any) -> RunPlan:
    from application.plan_ratings import design_schedulers
    from application.plan_run import RunPlan

    return RunPlan(**ports, schedulers=design_schedulers(feedback))


def _check_plan(**ports: Any) -> CheckPlan:
    from application.plan_check import CheckPlan

    return CheckPlan(**ports)


def _plan_status(**ports: Any) -> PlanStatus:
    from application.plan_status import PlanStatus

    return PlanStatus(**ports)


def _plan_views(**ports: Any) -> PlanViews:
    from application.plan_view import PlanViews

    return PlanViews(**ports)


def _plan_grid(**ports: Any) -> PlanGrid:
    from application.plan_grid import PlanGrid

    return PlanGrid(**ports)


def _contact_sheet() -> ContactSheetWriter:
    from adapters.plans.contact_sheet import PillowContactSheet  # Pillow

    return PillowContactSheet(Path.cwd())  # relative image paths are as the runs stored them


def _plan_lock(records_path: Path) -> PlanLock:
    from adapters.plans.lock import FilelockPlanLock  # filelock

    return FilelockPlanLock(records_path.parent)


def _query_history(**ports: Any) -> QueryHistory:
    from application.query_history import QueryHistory

    return QueryHistory(**ports)


def _a1111_backend(**settings: Any) -> Iterator[ImageBackend]:
    from adapters.backends.a1111 import A1111ImageBackend  # httpx

    backend = A1111ImageBackend(**settings)
    yield backend
    backend.close()  # at shutdown_resources(): its HTTP connections


def _backend_url(kind: str, url: str) -> str:
    from adapters.settings import backend_url

    return backend_url(kind, url)


def _comfyui_backend(**settings: Any) -> Iterator[ImageBackend]:
    from adapters.backends.comfyui import ComfyUIImageBackend  # httpx

    backend = ComfyUIImageBackend(**settings)
    yield backend
    backend.close()  # at shutdown_resources(): its HTTP connections and websocket thread


def _fake_backend(**settings: Any) -> ImageBackend:
    from adapters.backends.fake import FakeImageBackend  # Pillow

    return FakeImageBackend(**settings)


def _artifact_store(output_dir: Path) -> ArtifactStore:
    from adapters.storage.filesystem import FilesystemArtifactStore  # Pillow

    return FilesystemArtifactStore(output_dir=output_dir)


def _record_store(records_path: Path, durability: Durability) -> JsonlRecordStore:
    from adapters.record_store.jsonl import JsonlRecordStore  # filelock

    return JsonlRecordStore(records_path=records_path, durability=durability)


def _feedback_store(path: Path) -> JsonlFeedbackStore:
    from adapters.feedback.jsonl import JsonlFeedbackStore  # filelock

    return JsonlFeedbackStore(path)


def _sqlite_index(
    records_path: Path, feedback_path: Path, on_bad_line: BadLineReport | None = None
) -> RunIndex:
    from adapters.index.sqlite_index import SqliteRunIndex  # sqlite3 only for the read commands

    return SqliteRunIndex(records_path, feedback_path, on_bad_line=on_bad_line)


def _preset_store(folder: Path) -> PresetStore:
    from adapters.presets.toml_store import TomlPresetStore

    return TomlPresetStore(folder)


def _image_importer() -> ImageImporter:
    from adapters.importer.image_importer import MetadataImageImporter  # loaded only for imports

    return MetadataImageImporter()


def _folder_watcher() -> FolderWatcher:
    from adapters.importer.folder_watcher import WatchfilesFolderWatcher
    from adapters.importer.image_importer import IMAGE_SUFFIXES

    return WatchfilesFolderWatcher(IMAGE_SUFFIXES)


def _query_engine() -> HistoryQueryEngine:
    from adapters.query.duckdb_history import DuckDbQueryEngine

    return DuckDbQueryEngine()


def _run_table_writer() -> RunTableWriter:
    from adapters.query.export import FlatRunWriter

    return FlatRunWriter()


def _job_queue(dsn: str | None, connect_timeout: float) -> JobQueue:
    from domain.jobs import QueueNotConfigured

    if not dsn:
        raise QueueNotConfigured(
            "the job queue needs a PostgreSQL server: set [postgres] dsn (or STABLENEW_POSTGRES__DSN); "
            "see docs/scale-out.md"
        )
    try:
        from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue  # psycopg, procrastinate
    except ImportError:
        raise QueueNotConfigured(
            "the job queue needs the postgres extra: uv sync --extra postgres "
            "(pip install 'stablenew[postgres]')"
        ) from None
    return ProcrastinateJobQueue(dsn, connect_timeout=connect_timeout)


def _find_record(index: RunIndex) -> Callable[[str], LearningRecord | None]:
    from domain.run_lookup import RunNotFound

    def find(run_id: str) -> LearningRecord | None:
        try:
            return index.record(run_id)
        except RunNotFound:
            return None

    return find


def _find_shared_record(local: RunIndex, shared: KeyedRecordStore) -> Callable[[str], LearningRecord | None]:
    """This machine's index first; then the shared history (a record another machine stored)."""
    from domain.run_lookup import RunNotFound

    def find(run_id: str) -> LearningRecord | None:
        try:
            return local.record(run_id)
        except RunNotFound:
            pass
        if run_id not in shared.run_ids():
            return None
        return next((r for r in shared.iter_records(newest_first=True) if r.run_id == run_id), None)

    return find


def _worker_policy(heartbeat: float, stalled_after: float, max_attempts: int, poll: float) -> WorkerPolicy:
    from application.worker import WorkerPolicy

    return WorkerPolicy(heartbeat, stalled_after, max_attempts, poll, recover_every=heartbeat)


def _worker_queues(backend: ImageBackend) -> tuple[str, ...]:
    from application.worker import listened_queues
    from domain.errors import BackendError

    if not isinstance(backend, BackendInspector):
        raise BackendError("this backend cannot list its models: name the queues with --queue")
    return listened_queues(backend)


def _run_worker(**ports: Any) -> RunWorker:
    from application.worker import RunWorker

    return RunWorker(**ports)


def _submit_run(queue: JobQueue) -> SubmitRun:
    from application.queue_jobs import SubmitRun
    from application.runner import new_run_id

    return SubmitRun(queue, new_run_id)


def _queue_plan(**ports: Any) -> QueuePlan:
    from application.queue_jobs import QueuePlan

    return QueuePlan(**ports)


def _prune_queue(queue: JobQueue) -> PruneQueue:
    from application.queue_jobs import PruneQueue

    return PruneQueue(queue)


def _show_queue(**ports: Any) -> ShowQueue:
    from application.queue_jobs import ShowQueue

    return ShowQueue(**ports)


def _postgres_database(dsn: str | None, connect_timeout: float) -> PostgresDatabase:
    from adapters.postgres.database import PostgresDatabase  # psycopg, only for the shared history

    return PostgresDatabase(dsn or "", connect_timeout=connect_timeout)


def _postgres_records(database: PostgresDatabase) -> KeyedRecordStore:
    from adapters.postgres.record_store import PostgresRecordStore

    return PostgresRecordStore(database)


def _postgres_feedback(database: PostgresDatabase) -> KeyedFeedbackStore:
    from adapters.postgres.feedback_store import PostgresFeedbackStore

    return PostgresFeedbackStore(database)


def _local_first_sink(local: RecordSink, shared: KeyedRecordStore) -> RecordSink:
    from application.local_first import LocalFirstRecordSink

    return LocalFirstRecordSink(local, shared, warn=_warn)


def _local_first_feedback(local: FeedbackStore, shared: KeyedFeedbackStore) -> FeedbackStore:
    from application.local_first import LocalFirstFeedbackStore

    return LocalFirstFeedbackStore(local, shared, warn=_warn)


def _mirrored_index(
    database: PostgresDatabase,
    dsn: str | None,
    records_path: Path,
    feedback_path: Path,
    feedback_store: str,
    on_bad_line: BadLineReport | None = None,
) -> RunIndex:
    """The shared history read through a local copy beside the records and the SQLite index over it
    (the feedback too when it is shared; else this machine's feedback file)."""
    from adapters.index.sqlite_index import SqliteRunIndex
    from adapters.postgres.mirror import PostgresHistoryMirror, mirror_folder
    from application.mirrored_index import MirroredRunIndex

    shared_feedback = feedback_store == "postgres"
    mirror = PostgresHistoryMirror(
        database, mirror_folder(records_path.parent, dsn or ""), feedback=shared_feedback
    )
    index = SqliteRunIndex(
        mirror.records_path,
        mirror.feedback_path if shared_feedback else feedback_path,
        on_bad_line=on_bad_line,
    )
    return MirroredRunIndex(mirror, index)


def _sync_history(**ports: Any) -> SyncHistory:
    from application.sync_history import SyncHistory

    return SyncHistory(**ports)


def _warn(message: str) -> None:
    """One warning line on stderr (plain text: nothing in it is markup)."""
    import sys

    print(f"warning: {message}", file=sys.stderr, flush=True)


def _reveal(secret: SecretStr) -> str | None:
    return secret.get_secret_value() or None


def _none_if_empty(value: str) -> str | None:
    return value or None


class Container(containers.DeclarativeContainer):
    """Selectors pick the sink and the backend by name; only the chosen one is ever built.

    The read side: ``history(index__on_bad_line=report)``, and ``history__index__on_bad_line``
    for the use cases built on it (feedback recorder, export, query, insights), and
    ``insights__history__index__on_bad_line`` for the preset use cases, pass the bad-line callback down.
    """

    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    artifact_store = providers.Singleton(_artifact_store, output_dir=config.output.dir)

    record_store = providers.Singleton(
        _record_store, records_path=config.learning.records_path, durability=config.learning.durability
    )
    feedback_store = providers.Singleton(_feedback_store, config.feedback.path)

    # The shared history (docs/scale-out.md): built only when a setting selects "postgres".
    postgres_database = providers.Singleton(
        _postgres_database,
        dsn=providers.Callable(_reveal, config.postgres.dsn),
        connect_timeout=config.postgres.connect_timeout,
    )
    postgres_records = providers.Singleton(_postgres_records, postgres_database)
    postgres_feedback = providers.Singleton(_postgres_feedback, postgres_database)

    record_sink = providers.Selector(
        config.learning.sink,
        jsonl=record_store,
        null=providers.Singleton(NullRecordSink),
        postgres=providers.Singleton(_local_first_sink, local=record_store, shared=postgres_records),
    )
    feedback_events = providers.Selector(
        config.feedback.store,
        jsonl=feedback_store,
        postgres=providers.Singleton(_local_first_feedback, local=feedback_store, shared=postgres_feedback),
    )

    sqlite_index = providers.Factory(
        _sqlite_index, records_path=config.learning.records_path, feedback_path=config.feedback.path
    )
    run_index = providers.Selector(
        config.learning.sink,
        jsonl=sqlite_index,
        null=sqlite_index,
        postgres=providers.Factory(
            _mirrored_index,
            database=postgres_database,
            dsn=providers.Callable(_reveal, config.postgres.dsn),
            records_path=config.learning.records_path,
            feedback_path=config.feedback.path,
            feedback_store=config.feedback.store,
        ),
    )
    sync_history = providers.Factory(
        _sync_history,
        local_records=record_store,
        local_feedback=feedback_store,
        shared_records=postgres_records,
        shared_feedback=postgres_feedback,
    )
    history = providers.Factory(History, index=run_index)
    author = providers.Singleton(feedback_author, config.feedback.user)
    feedback_recorder = providers.Factory(
        _feedback_recorder,
        history=history,
        store=feedback_events,
        author=author,
        clock=clock,
    )
    import_images = providers.Factory(
        _import_images,
        importer=providers.Singleton(_image_importer),
        store=record_store,
    )
    watch_imports = providers.Factory(
        _watch_imports, import_images=import_images, watcher=providers.Singleton(_folder_watcher)
    )
    export_runs = providers.Factory(
        _export_runs, history=history, writer=providers.Singleton(_run_table_writer)
    )
    query_history = providers.Factory(
        _query_history,
        history=history,
        feedback=feedback_events,
        engine=providers.Singleton(_query_engine),
    )
    derive_insights = providers.Factory(_derive_insights, history=history)
    picture_insights = providers.Factory(_picture_insights, history=history)
    preset_store = providers.Singleton(_preset_store, folder=config.presets.dir)
    derive_preset = providers.Factory(
        _derive_preset, insights=derive_insights, store=preset_store, clock=clock
    )
    verify_preset = providers.Factory(_verify_preset, insights=derive_insights, store=preset_store)
    summarize_for_llm = providers.Factory(
        _summarize_for_llm,
        history=history,
        insights=derive_insights,
        feedback=feedback_events,
        presets=preset_store,
    )
    list_packs = providers.Factory(_list_packs, history=history)

    image_backend = providers.Selector(
        config.backend.kind,
        fake=providers.Singleton(
            _fake_backend,
            latency=config.backend.fake_latency,
            fail_stage=providers.Callable(_none_if_empty, config.backend.fake_fail_stage),
            oom_above=config.backend.fake_oom_above,
            models=config.backend.fake_models,
            kill_prompt=config.backend.fake_kill_prompt,
        ),
        a1111=providers.Resource(
            _a1111_backend,
            url=providers.Callable(_backend_url, config.backend.kind, config.backend.url),
            username=providers.Callable(_none_if_empty, config.backend.username),
            password=providers.Callable(_reveal, config.backend.password),
            flavor=config.backend.flavor,
            connect_timeout=config.backend.connect_timeout,
            read_timeout=config.backend.read_timeout,
        ),
        comfyui=providers.Resource(
            _comfyui_backend,
            url=providers.Callable(_backend_url, config.backend.kind, config.backend.url),
            username=providers.Callable(_none_if_empty, config.backend.username),
            password=providers.Callable(_reveal, config.backend.password),
            connect_timeout=config.backend.connect_timeout,
            read_timeout=config.backend.read_timeout,
        ),
    )

    check_backend = providers.Factory(_check_backend, backend=image_backend, clock=clock)
    check_preset_model = providers.Factory(_check_preset_model, backend=image_backend)

    plan_lock = providers.Singleton(_plan_lock, records_path=config.learning.records_path)
    run_plan = providers.Factory(
        _run_plan,
        backend=image_backend,
        artifacts=artifact_store,
        clock=clock,
        store=record_store,
        plans=sqlite_index,
        lock=plan_lock,
        feedback=feedback_events,
    )
    check_plan = providers.Factory(_check_plan, backend=image_backend, plans=sqlite_index, history=history)
    plan_status = providers.Factory(_plan_status, plans=sqlite_index, feedback=feedback_events)
    plan_views = providers.Factory(
        _plan_views, plans=sqlite_index, feedback=feedback_events, status=plan_status
    )
    plan_grid = providers.Factory(
        _plan_grid, status=plan_status, plans=sqlite_index, writer=providers.Factory(_contact_sheet)
    )

    job_queue = providers.Singleton(
        _job_queue,
        dsn=providers.Callable(_reveal, config.postgres.dsn),
        connect_timeout=config.postgres.connect_timeout,
    )
    submit_run = providers.Factory(_submit_run, queue=job_queue)
    # The plan journal and the stage timings of the ETA: the shared history when it is selected.
    history_records = providers.Selector(
        config.learning.sink, jsonl=record_store, null=record_store, postgres=postgres_records
    )
    queue_plan = providers.Factory(_queue_plan, queue=job_queue, plans=run_index, records=history_records)
    show_queue = providers.Factory(_show_queue, queue=job_queue, records=history_records)
    prune_queue = providers.Factory(_prune_queue, queue=job_queue)
    worker_queues = providers.Callable(_worker_queues, backend=image_backend)
    run_worker = providers.Factory(
        _run_worker,
        queue=job_queue,
        backend=image_backend,
        artifacts=artifact_store,
        clock=clock,
        sink=record_sink,
        find_record=providers.Selector(
            config.learning.sink,
            jsonl=providers.Callable(_find_record, sqlite_index),
            null=providers.Callable(_find_record, sqlite_index),
            postgres=providers.Callable(_find_shared_record, sqlite_index, postgres_records),
        ),
        policy=providers.Callable(
            _worker_policy,
            config.queue.heartbeat_seconds,
            config.queue.stalled_after_seconds,
            config.queue.max_attempts,
            config.queue.poll_seconds,
        ),
    )

    controller = providers.Factory(
        _controller,
        backend=image_backend,
        artifacts=artifact_store,
        clock=clock,
        sink_factory=record_sink.provider,
        learning_enabled=config.learning.enabled,
        record_failures=config.learning.record_failures,
    )


def history_file(path: Path) -> MaintainedFile:
    """The store of the records or feedback file at ``path``, told apart by what the file holds."""
    from adapters.feedback.jsonl import JsonlFeedbackStore, holds_feedback
    from adapters.record_store.jsonl import JsonlRecordStore

    return JsonlFeedbackStore(path) if holds_feedback(path) else JsonlRecordStore(path)


def plan_file(path: Path) -> PlanSource:
    """The plan file at ``path`` (docs/plans.md); ValueError with one line naming the key and its line."""
    from adapters.plans.plan_file import load_plan_source

    return load_plan_source(path)


EXPORT_FORMATS = ("fooocus",)
"""Formats ``preset_exporter`` knows. A1111 styles and InvokeAI style presets hold prompts only,
which a preset never sets, so they are not offered."""


def preset_exporter(format_name: str) -> PresetExporter:
    """The exporter of ``format_name`` (one of EXPORT_FORMATS); ValueError for any other."""
    if format_name != "fooocus":
        raise ValueError(f"unknown export format {format_name!r} (known: {', '.join(EXPORT_FORMATS)})")
    from adapters.presets.fooocus import FooocusPresetExporter

    return FooocusPresetExporter()


_built: list[Container] = []


def build_container(settings: Settings) -> Container:
    """A fresh container filled from ``settings``; nothing is built until it is asked for.
    ``shutdown_containers`` releases what it opened (the CLI's entry point calls it when done)."""
    container = Container()
    container.config.from_pydantic(settings)
    _built.append(container)
    return container


def shutdown_containers() -> None:
    """Close what the containers built so far hold open: the image backend's connections (and
    ComfyUI's websocket thread). A process that exits loses them anyway; one that goes on
    (a test, an application calling the CLI's entry point) would keep them."""
    while _built:
        _built.pop().shutdown_resources()


def sheet_plan(path: Path) -> dict[str, Any]:
    """The plan a ``plan grid`` contact sheet carries; ValueError with one line when it holds none."""
    from adapters.plans.contact_sheet import read_sheet_plan

    return read_sheet_plan(path)
