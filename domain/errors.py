"""Domain errors: every failure the use cases know how to name."""

from __future__ import annotations


class StableNewError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(StableNewError, ValueError):
    """A pipeline configuration that cannot run; raised before any backend call."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class BackendError(StableNewError):
    """An image backend could not do what a stage asked.

    ``hint`` tells the user what to try; ``retryable`` says whether sending the same request
    again could succeed (it is never a licence to re-send a generation that may still run).
    ``stage`` names the stage whose setting was refused when a pre-flight check refused a later
    stage's value (an upscale stage's upscaler); None means the stage being run.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, retryable: bool = False, stage: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.retryable = retryable
        self.stage = stage

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class GenerationInterrupted(StableNewError):
    """The user interrupted a generation; the run ends as interrupted, not failed."""


class RecordStoreError(StableNewError):
    """Appending to or reading from a record store failed; nothing partial was left behind."""


class SharedStoreUnavailable(RecordStoreError):
    """The shared history (a database) cannot be reached or refused the connection.

    Nothing was stored there; the message says why in one line and never holds credentials.
    """


class RecordSerializationError(RecordStoreError, ValueError):
    """A record holds a value JSON cannot represent; nothing was written."""


class UnsupportedSchemaVersion(StableNewError, ValueError):
    """A record was written by a newer version of this project than the reader knows."""

    def __init__(self, found: object, supported: int) -> None:
        super().__init__(
            f"record schema_version {found!r} is newer than this reader supports ({supported}); "
            "upgrade stablenew to read it"
        )
        self.found = found
        self.supported = supported


class MissingDependency(StableNewError):
    """An optional extra a command needs is not installed; the message names the one-line fix."""


class QueryError(StableNewError, ValueError):
    """A query over the history was refused; the message is the query engine's first line."""
