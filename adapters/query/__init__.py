"""The history as flat tables: CSV/JSONL export, and SQL over it with DuckDB (optional extra)."""
