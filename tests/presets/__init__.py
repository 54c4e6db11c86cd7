"""Presets derived from ratings: the domain value, the TOML store, the use cases and the commands."""
