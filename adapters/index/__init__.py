"""The history index: a derived, rebuildable SQLite index of the records and feedback files."""
