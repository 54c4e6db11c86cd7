"""Former name of ``adapters.record_store.null``."""

from adapters.record_store.null import NullRecordSink

__all__ = ["NullRecordSink"]
