"""The tables of the shared history: the JSONL documents as JSONB, keyed by run id and event id.

``seq`` keeps append order (the order of the files); the primary keys make appends idempotent
(``INSERT ... ON CONFLICT DO NOTHING``: a repeat is never a second row).
"""

RECORDS = "stablenew_records"
FEEDBACK = "stablenew_feedback"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {RECORDS} (
    run_id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    stored_at timestamptz NOT NULL DEFAULT now(),
    document jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS {FEEDBACK} (
    event_id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    run_id text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(),
    document jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS {FEEDBACK}_run_id ON {FEEDBACK} (run_id);
"""
