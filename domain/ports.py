"""Ports: what the use cases need from the outside world, and the contract each must keep.

Contract suites in tests/contract/ check every implementation, real or fake, against these texts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO, runtime_checkable

if TYPE_CHECKING:  # the ports name these only in annotations: importing a port builds none of them
    from contextlib import AbstractContextManager
    from datetime import datetime
    from pathlib import Path

    from domain.backend_report import BackendReport
    from domain.config import PipelineConfig
    from domain.feedback import FeedbackEvent, RunFeedback
    from domain.history_stats import HistoryStats
    from domain.images import BackendInfo, ImageData, StageOutput
    from domain.import_plan import ImportPlan
    from domain.imported_run import ImportedRun, Unreadable
    from domain.index_state import IndexCheck, IndexStatus
    from domain.jobs import Job, JobRequest, QueueStatus, Recovered, Submitted
    from domain.plan_grid import GridSheet
    from domain.preset import Preset
    from domain.record import LearningRecord
    from domain.run import StageProgress
    from domain.run_filter import RunFilter
    from domain.run_row import RunRow
    from domain.setting_counts import SettingCount
    from domain.store_health import BadLine, Repair, Verification


@runtime_checkable
class RecordSink(Protocol):
    """Durable, append-only destination of learning records.

    ``append_record`` stores the whole record or nothing: when it returns, the record is stored
    (durably, if the sink promises durability); when it raises (a ``RecordStoreError`` or, for a
    value JSON cannot represent, ``RecordSerializationError``), nothing of that record was stored
    and later appends still work. It may be called any number of times, from several processes
    at once; each call stores exactly one record.
    """

    def append_record(self, record: LearningRecord) -> None: ...


@runtime_checkable
class RecordReader(Protocol):
    """Reads back what a RecordSink stored.

    ``iter_records`` streams records oldest first; with ``newest_first=True`` it streams them
    from the end, reading the file backwards in blocks (listing the last 20 records of a large
    store costs the same as of a small one). It reads the store as it was when iteration
    started. A bad line (not JSON, not an object, checksum mismatch, not a learning record,
    an incomplete last line) anywhere in the store never raises: it is skipped and passed to
    ``on_bad_line`` as a ``BadLine`` (see there for how lines are numbered in each direction).
    A record of a newer schema_version than this reader knows raises
    ``UnsupportedSchemaVersion``; every older known version is read. A missing store yields
    nothing; a store that cannot be read raises ``RecordStoreError`` naming it.
    """

    def iter_records(
        self,
        *,
        newest_first: bool = False,
        on_bad_line: Callable[[BadLine], None] | None = None,
    ) -> Iterator[LearningRecord]: ...


@runtime_checkable
class RecordStore(RecordSink, RecordReader, Protocol):
    """A record sink that reads back what it stored and appends many records at once.

    ``append_records`` stores all ``records`` with one durable append, or none of them (a group
    commit), with the same guarantees as ``append_record``.
    """

    def append_records(self, records: Iterable[LearningRecord]) -> None: ...


AppendOutcome = Literal["stored", "duplicate"]
"""What a keyed store did with one record or event: stored it, or already held its id."""


@runtime_checkable
class KeyedRecordStore(RecordStore, Protocol):
    """A record store that holds one copy per run id: the shared history of many machines.

    ``add_records`` stores every record whose run id the store does not hold yet and leaves the
    others as they are stored: a repeat is ``"duplicate"``, never an error and never a second
    copy (the first stored copy is the one kept). It returns the outcome of each record in
    order, stores all new records or none, and may be called from many processes and machines at
    once. ``append_record`` and ``append_records`` are ``add_records`` without the outcomes, so a
    record appended twice is stored once (the one difference from ``RecordStore``).
    ``run_ids`` is every stored run id. A store that cannot be reached raises
    ``SharedStoreUnavailable`` (one line, no credentials); nothing was stored then.
    """

    def add_records(self, records: Sequence[LearningRecord]) -> list[AppendOutcome]: ...

    def run_ids(self) -> set[str]: ...


@runtime_checkable
class FeedbackStore(Protocol):
    """Durable, append-only store of feedback events.

    ``append`` stores all given events or none of them (a ``RecordStoreError`` means nothing
    was stored and later appends still work); an empty sequence stores nothing. It may be
    called from several processes at once. Events are never changed or removed.

    ``iter_events`` yields every stored event oldest first, in append order, equal to what was
    appended. A missing store yields nothing. A stored entry that is not a valid event is
    skipped and passed to ``on_bad_line`` (never raised); an event of a newer schema_version
    raises ``UnsupportedSchemaVersion``. It may be called again and sees later appends.
    """

    def append(self, events: Sequence[FeedbackEvent]) -> None: ...

    def iter_events(
        self, *, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[FeedbackEvent]: ...


@runtime_checkable
class KeyedFeedbackStore(FeedbackStore, Protocol):
    """A feedback store that holds one copy per event id (the shared history of many machines).

    ``add_events`` stores every event whose event id the store does not hold yet (all of them or
    none) and returns how many it stored; a repeat is no error and never a second copy, so
    ``append`` may be retried. ``event_ids`` is every stored event id. A store that cannot be
    reached raises ``SharedStoreUnavailable`` (one line, no credentials).
    """

    def add_events(self, events: Sequence[FeedbackEvent]) -> int: ...

    def event_ids(self) -> set[str]: ...


class PresetStore(Protocol):
    """Named presets (docs/presets.md), each kept whole.

    ``save`` stores the preset under its name, all of it or nothing (a reader never sees half a
    preset); it raises ``PresetExists`` when that name is taken, unless ``overwrite``. ``load``
    returns what was saved under ``name`` (equal to it); ``PresetNotFound`` when there is none and
    ``PresetError`` (one line naming where and the key) when what is stored is not a valid preset.
    ``names`` lists the stored names sorted; a store that does not exist yet holds none. Reading
    never changes what is stored. Every method may be called any number of times.
    """

    def save(self, preset: Preset, *, overwrite: bool = False) -> None: ...

    def load(self, name: str) -> Preset: ...

    def names(self) -> list[str]: ...


class PresetExporter(Protocol):
    """Writes a preset in another tool's format.

    ``render`` returns the whole text of the other tool's file holding what the preset sets (nothing
    else, never a prompt), or raises ``PresetError`` naming the setting that tool cannot express. It
    has no side effects and may be called any number of times.
    """

    def render(self, preset: Preset) -> str: ...


BadLineReport = Callable[[str, "BadLine"], None]
"""Told ``("records" | "feedback", bad line)`` for every stored line that was skipped."""


@runtime_checkable
class RunIndex(Protocol):
    """The read side of the history: every question the read commands ask, answered from the
    records and feedback files as they are now.

    Every call first brings the index up to date with both files (an index that has its own
    storage reads only what was appended since its last call, and starts over by itself when a
    file was truncated, repaired, replaced or restored); the answer is never older than the
    files were when the call began, and never differs from what a full scan of them would say.
    Several processes may use one index while another appends to the files.

    A run id stored more than once is one run: its newest copy wins, at the newest copy's
    place. Runs are ordered by the place of that copy in the records file (append order).
    A bad line never raises: it is skipped and reported once per index object to the
    ``on_bad_line`` callback the implementation was built with, numbered 1-based from the start
    of its file as ``RecordReader.iter_records`` (oldest first) reports it. A record or event of
    a newer schema_version raises ``UnsupportedSchemaVersion``; a file that cannot be read
    raises ``RecordStoreError`` naming it. Missing files are empty histories.

    - ``rows`` yields the rows of the runs ``run_filter`` keeps whose prompts match ``search``
      (``domain.run_search.Search``), newest first (or oldest first), at most ``limit``
      (None: all), with their current feedback; equal to ``RunRow.of(record, feedback)``.
    - ``stats`` is ``compute_stats`` of those rows (``domain.history_stats``); an index with
      storage answers it for the whole history at the same cost at any size.
    - ``resolve`` turns an exact run id, else a unique prefix of at least ``MIN_PREFIX``
      characters, into the run id (``domain.run_lookup.pick_run_id``); raises RunNotFound or
      AmbiguousRunId.
    - ``record`` is the newest stored copy of run ``run_id``; raises RunNotFound.
    - ``feedback`` is the current feedback of ``run_id`` with its full event history, as
      ``fold_feedback`` of the whole feedback file gives it (an empty RunFeedback if none).
    - ``status`` reports the index's state without changing it; ``rebuild`` starts over from
      the files and returns the new state; ``check`` compares every answer with a full scan of
      the files.

    What the insights ask (docs/insights.md), so that they never read every run's row:

    - ``setting_counts`` is ``domain.setting_counts.count_settings`` of the rows ``run_filter``
      keeps: per group and compared setting, each value's runs and failures; an index with
      storage answers it without making a row per run.
    - ``runs`` yields the rows (as ``rows`` gives them) of those of ``run_ids`` the history holds,
      in no particular order; ids it does not hold are left out.
    - ``judgements`` yields every rating and choice event of the feedback file, oldest first
      (file order), an event id repeated later counted at its first line only, equal to what
      ``FeedbackStore.iter_events`` gives for them.

    What the plans ask (their journal, docs/plans.md), so that they never read every record:

    - ``plan_records`` yields the records of the runs whose ``plan_id`` is set (not empty), as
      ``record`` gives them, oldest first (or newest first).
    """

    def rows(
        self,
        run_filter: RunFilter | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[RunRow]: ...

    def stats(self, run_filter: RunFilter | None = None, *, search: str | None = None) -> HistoryStats: ...

    def resolve(self, text: str) -> str: ...

    def record(self, run_id: str) -> LearningRecord: ...

    def feedback(self, run_id: str) -> RunFeedback: ...

    def status(self) -> IndexStatus: ...

    def rebuild(self) -> IndexStatus: ...

    def check(self) -> IndexCheck: ...

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]: ...

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]: ...

    def judgements(self) -> Iterator[FeedbackEvent]: ...

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]: ...


@runtime_checkable
class PlanRecords(Protocol):
    """The plans' journal: ``plan_records`` yields the record of every run whose ``plan_id`` is set
    (not empty), the newest copy of each run id, oldest first (or newest first). Every RunIndex
    is one (see there), reading them without reading the other records."""

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]: ...


@runtime_checkable
class HistoryMirror(Protocol):
    """A local copy of a shared history in JSON-lines files, for a RunIndex to read.

    ``refresh`` makes ``records_path`` (and ``feedback_path``, when the feedback is shared too)
    hold every entry the shared history holds now, one line each, in the shared history's order,
    so that line N of a file is entry N of the shared history and the index over the files
    answers as a full scan of the shared history would. ``start_over`` copies everything again.
    The copy is derived: deleting it loses nothing. Several processes may refresh one copy at
    once. Raises ``SharedStoreUnavailable`` when the shared history cannot be reached, leaving
    the copy as it was.
    """

    @property
    def records_path(self) -> Path: ...

    @property
    def feedback_path(self) -> Path: ...

    def refresh(self, *, start_over: bool = False) -> None: ...


@runtime_checkable
class ProgressReporter(Protocol):
    """A backend that can say how far the call it is generating has come.

    ``progress`` may be called from another thread while a call of the backend runs. It answers
    None when nothing is generating or it cannot tell; it never raises, and returns within about
    a second (it is polled a few times a second and must not slow the generation down).
    """

    def progress(self) -> StageProgress | None: ...


@runtime_checkable
class RunScoped(Protocol):
    """A backend that names what it sends after the run it belongs to.

    ``begin_run`` is called once at the start of each run, before any other call for that run,
    with the run's id; the backend may use it to derive request ids and file names that are
    unique to the run and recognisable when a request is seen again. It never raises.
    """

    def begin_run(self, run_id: str) -> None: ...


@runtime_checkable
class ImageBackend(Protocol):
    """Makes images, one pipeline stage per call.

    Every call either returns a StageOutput with at least one image or raises: ``BackendError``
    (with a one-line message and a hint) when the backend refused or failed,
    ``GenerationInterrupted`` when the user interrupted it. A call that raised leaves nothing
    behind. Calls are not retried by the caller.

    Each image is the exact encoded bytes (PNG, text chunks intact); ``ImageData.width`` and
    ``height`` are its decoded size and ``seed`` the seed that made it. ``StageOutput.backend``
    says who made the images (as ``describe`` would, with the model really used).

    - ``txt2img`` makes ``config.batch_size`` images of ``config.width`` x ``config.height``;
      image ``i`` uses seed ``seed + i``, and a seed of -1 is first replaced by a concrete one.
      Each PNG records ``config.prompt`` exactly in the text chunks its server wrote: an A1111
      ``parameters`` chunk (domain.infotext) for the WebUI and the fake backend, the ``prompt``
      chunk (the API graph) for ComfyUI. The bytes are never rewritten to add a chunk: they stay
      the server's own file. ``resolved`` holds what the backend really used: ``seed`` (the
      first image's), ``sampler``, ``scheduler`` (only if the backend has schedulers),
      ``steps``, ``cfg_scale``, ``width``, ``height``, and where known ``all_seeds`` and ``model``.
    - ``img2img`` re-draws ``image`` with ``denoising_strength``, the same way, into exactly one
      image (whatever ``config.batch_size``: a batch branches at txt2img, and each branch keeps
      one image per stage) of the input image's own size; ``resolved`` also holds
      ``denoising_strength``.
    - ``upscale`` enlarges ``image`` by ``scale`` with ``upscaler``: each side becomes
      ``side * scale`` (rounded; a backend may round down to a multiple of 8); ``resolved``
      holds ``upscaler``, ``scale``, ``width`` and ``height``.
    - ``prepare`` checks before a run that the backend can serve ``config`` (model, sampler,
      scheduler and the upscale stages' upscaler names) and raises ``BackendError`` naming the
      first unknown name if not; it may be called often. An empty ``config.model`` means the
      backend's current model.
    - ``describe`` reports kind, version and model without generating anything.
    """

    def prepare(self, config: PipelineConfig) -> None: ...

    def txt2img(self, config: PipelineConfig) -> StageOutput: ...

    def img2img(self, config: PipelineConfig, image: ImageData, denoising_strength: float) -> StageOutput: ...

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput: ...

    def describe(self) -> BackendInfo: ...


@runtime_checkable
class ArtifactStore(Protocol):
    """Keeps a run's images.

    ``save`` writes the bytes unchanged, atomically (a reader never sees half a file), and
    returns the path it wrote; the same (run_id, stage, index) names the same file, and saving
    it again replaces it. ``run_id`` and ``stage`` are plain names: one holding a path
    separator or ``..`` raises ValueError and nothing is written.
    ``load`` reads an input image from a path (one ``save`` returned, or any image file) and
    reports its size and its ``parameters`` text if it has one; a missing or undecodable file
    raises ``ConfigError`` for the field ``init_images`` naming the path.
    """

    def save(self, run_id: str, stage: str, index: int, data: bytes) -> str: ...

    def load(self, path: str) -> ImageData: ...


@runtime_checkable
class RunDiscarding(Protocol):
    """An artifact store that can remove what one run saved.

    ``discard`` deletes every file ``save`` wrote for ``run_id`` (and any half-written temporary
    file of it); a run with no files is no error. It never touches another run's files. A plan
    run calls it before a cell's attempt reuses the run id of an attempt killed before its record
    was stored, so that attempt's images are not left behind without a record.
    """

    def discard(self, run_id: str) -> None: ...


@runtime_checkable
class PlanLock(Protocol):
    """One runner per plan at a time, across processes and hosts sharing the records folder.

    ``hold(plan_name)`` is entered for the whole plan run. Entering it while another process holds
    the same name raises ``PlanBusy`` at once (never waits), naming the holder (pid and host);
    the lock is released on exit and when the holding process dies, so a killed runner never
    blocks the next one.
    """

    def hold(self, plan_name: str) -> AbstractContextManager[None]: ...


@runtime_checkable
class ContactSheetWriter(Protocol):
    """Draws a plan's contact sheet (``domain.plan_grid.GridSheet``) as an image file.

    ``write`` draws every square (its image scaled down, or its note when it has none), the axis
    labels and each square's rating, and stores ``plan_text`` (the plan's canonical JSON) inside
    the file so the plan can be read back from it. It replaces ``target`` whole or not at all;
    an image that cannot be read is drawn as a note, never an error. Raises OSError when the
    file cannot be written. It may be called again.
    """

    def write(self, sheet: GridSheet, target: str, plan_text: str) -> None: ...


@runtime_checkable
class Clock(Protocol):
    """The time, for timestamps and durations: ``now()`` returns an aware UTC datetime."""

    def now(self) -> datetime: ...


# A sink factory is how the controller gets a sink only when learning is on.
SinkFactory = Callable[[], RecordSink]


@runtime_checkable
class BackendInspector(Protocol):
    """Says what an image backend serves without generating anything.

    ``report`` lists the backend's models, samplers, schedulers (None when it has no scheduler
    choice) and upscalers in the backend's own spelling, with its kind, version (None when it
    tells it only with a generation), current model (None when it has none: ComfyUI's graphs
    each name theirs) and, for a server, its URL, flavor and devices where they apply. It raises
    ``BackendError`` (one line with a hint) when the backend cannot be reached or answers nonsense.
    """

    def report(self) -> BackendReport: ...


@runtime_checkable
class ImageImporter(Protocol):
    """Turns image files made by other front-ends into learning records marked ``source="import"``.

    ``find`` gives the files named in ``paths`` and the image files inside the folders among
    them (and their sub-folders with ``recursive``), each folder's sorted by name. ``plan`` reads
    every file and never raises for one that cannot be imported: it is listed in
    ``ImportPlan.skipped`` with the reason. A file whose sha256 is in ``known_sha256``, or equals
    an earlier file's, is skipped as already imported (``problem=False``). Every planned record
    can be stored (a file whose record could not is skipped, never failing the others), and a value
    left out of a record as out of range or unreadable is named in ``ImportPlan.notes``. Nothing is
    stored. A file holding no generation metadata is skipped with ``problem=False``; one whose
    metadata exists but cannot be read is a problem naming the metadata format. ``progress``, when
    given, is called with the number of files read so far (for a progress bar).

    ``parser_version`` is the version records made now carry (``metadata.import.parser_version``).
    ``reread`` maps the sha256 of an image imported by an older version to that record's run id:
    such a file is read again into a record with the same run id (which supersedes the old one,
    the newest copy of a run winning), marked ``reparsed``, instead of being skipped.
    """

    parser_version: int

    def find(self, paths: Sequence[Path], *, recursive: bool = False) -> list[Path]: ...

    def plan(
        self,
        files: Iterable[Path],
        known_sha256: set[str],
        *,
        progress: Callable[[int], None] | None = None,
        reread: Mapping[str, str] | None = None,
    ) -> ImportPlan: ...


@runtime_checkable
class MetadataReader(Protocol):
    """Turns one image's metadata texts into an imported run, or a clear reason it cannot.

    ``format`` names the layout it reads (``a1111-infotext``, ``comfyui-prompt``...). ``read``
    gets the texts the image's container holds, by name (PNG text chunks by keyword, EXIF
    UserComment as ``UserComment``...) and returns:

    - None when they hold nothing of its format (another reader may take them);
    - an ImportedRun when it read them (values it could not resolve are None, never guessed);
    - Unreadable with a one-line reason when they are of its format but cannot be read.

    It never raises, whatever the texts, reads no file, keeps no state and may be called again.
    """

    format: str

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None: ...


@runtime_checkable
class FolderWatcher(Protocol):
    """Tells which files appear or change under some folders, for as long as it is asked.

    ``changes`` yields, in batches, the paths of image files (the importer's suffixes) created or
    written under ``folders`` (and their sub-folders with ``recursive``) since the last batch,
    each batch once writing in it has paused, each path under its folder as the caller named it
    (a relative folder gives relative paths); a path that no longer exists or is not a file is
    never yielded. Files already there when it starts are not yielded. It blocks between
    batches and returns when ``stop()`` is true (checked at least every second); Ctrl-C raises
    KeyboardInterrupt out of it.
    """

    def changes(
        self, folders: Sequence[Path], *, recursive: bool, stop: Callable[[], bool]
    ) -> Iterator[set[Path]]: ...


@runtime_checkable
class RunTableWriter(Protocol):
    """Writes runs as a flat table: one row per run, the columns of ``records export``.

    ``formats`` names what it writes. ``write`` writes every row, in order, to ``destination``:
    a text stream (text formats only), or a path, replaced atomically so that a failure leaves
    any earlier file as it was. Returns how many rows it wrote; an unknown format raises
    ValueError before anything is written.
    """

    formats: tuple[str, ...]

    def write(self, rows: Iterable[RunRow], format_name: str, destination: TextIO | Path) -> int: ...


@runtime_checkable
class HistoryQueryEngine(Protocol):
    """Answers SQL over the history: tables ``runs`` (one flat row per run, as exported),
    ``stages`` (run_id, stage, duration_ms) and ``feedback`` (every event).

    ``query`` returns the column names and the rows of ``sql``. It reads and changes no file;
    a statement it refuses raises ``QueryError`` with the engine's first line, and a missing
    engine ``MissingDependency`` naming the fix.
    """

    def query(
        self, sql: str, runs: Iterable[RunRow], events: Iterable[FeedbackEvent]
    ) -> tuple[list[str], list[tuple[Any, ...]]]: ...


@runtime_checkable
class MaintainedFile(Protocol):
    """A history file that can be checked and mended (the records file, the feedback file).

    ``verify`` counts good, bad and quarantined lines of the file as it was at one moment between
    two appends, and changes nothing. ``repair`` moves every bad line to the quarantine and keeps
    the good ones in order, atomically, without losing an append made meanwhile, and makes the
    file private (0600). Both raise ``RecordStoreError`` naming the file when it is missing, not
    a regular file, or cannot be read, and ``UnsupportedSchemaVersion`` for a newer entry (then
    ``repair`` changes nothing). ``close`` releases what the object keeps open.
    """

    def verify(self) -> Verification: ...

    def repair(self) -> Repair: ...

    def close(self) -> None: ...


@runtime_checkable
class JobQueue(Protocol):
    """Jobs shared by many workers on many machines (docs/scale-out.md).

    - ``submit`` adds a pending job to ``request.queue``. When ``request.lock`` is set and a
      pending or running job holds the same lock, nothing is added: that job is returned with
      ``duplicate=True``. Never raises for a duplicate.
    - ``register_worker(name, queues)`` returns the id of a new worker; its heartbeat starts now.
      ``heartbeat`` says the worker still lives; ``unregister_worker`` removes it (its running
      jobs, if any, are recovered as stalled ones are).
    - ``claim(worker_id, queues)`` hands one pending job of those queues to that worker and marks
      it running, or returns None when there is none. The highest priority goes first, then the
      oldest. A job is held by one worker at a time (two concurrent claims never get the same
      job), and a job whose lock another running job holds waits.
    - ``wait(queues, timeout)`` returns when a job may have arrived on one of those queues, or
      after ``timeout`` seconds at the latest (it may return early; callers claim again).
    - ``succeed(job)`` and ``fail(job, reason)`` end a running job for good; ``hand_back(job)``
      makes it pending again without counting an attempt (a worker that stops cleanly). Each
      raises ``JobLost`` when the job is no longer running for the worker that claimed it.
    - ``recover_stalled(stalled_after, max_attempts)`` finds the running jobs whose worker sent
      no heartbeat for ``stalled_after`` seconds (or is gone): each is pending again, or failed
      with the reason once ``max_attempts`` claims of it have been lost; their workers are
      removed. Safe to call from every worker at once: each job is recovered once.
    - ``status`` counts jobs per queue, state and worker, lists live workers, the failed jobs
      with their reasons and the pending jobs.
    - ``prune(older_than, failed=..., queues=...)`` deletes the jobs of ``queues`` (None: of every
      queue) that ended at least ``older_than`` seconds ago: the succeeded ones, and the failed
      ones too when ``failed``; pending and running jobs are never touched. Returns how many it
      deleted. The records of their runs stay in the history.

    Every call raises ``QueueError`` (never naming a password) when the queue cannot be reached;
    a later call works again once it can.
    """

    def submit(self, request: JobRequest) -> Submitted: ...

    def register_worker(self, name: str, queues: Sequence[str]) -> str: ...

    def heartbeat(self, worker_id: str) -> None: ...

    def unregister_worker(self, worker_id: str) -> None: ...

    def claim(self, worker_id: str, queues: Sequence[str]) -> Job | None: ...

    def wait(self, queues: Sequence[str], timeout: float) -> None: ...

    def succeed(self, job: Job) -> None: ...

    def fail(self, job: Job, reason: str) -> None: ...

    def hand_back(self, job: Job) -> None: ...

    def recover_stalled(self, stalled_after: float, max_attempts: int) -> tuple[Recovered, ...]: ...

    def status(self) -> QueueStatus: ...

    def prune(
        self, older_than: float, *, failed: bool = False, queues: Sequence[str] | None = None
    ) -> int: ...
