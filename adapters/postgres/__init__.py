"""The shared history on PostgreSQL (docs/scale-out.md): records, feedback and their index.

psycopg is imported only inside this package, and only when one of its adapters is built, so a
single machine (``learning.sink = "jsonl"``) never loads it.
"""
