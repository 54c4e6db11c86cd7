"""The learning-record store: the JSONL store (append, read, verify, repair) and the null sink."""
