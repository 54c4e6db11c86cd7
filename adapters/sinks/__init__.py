"""The record store's former home, kept so that ``adapters.sinks.jsonl`` and ``adapters.sinks.null``
stay importable; new code imports ``adapters.record_store``."""
