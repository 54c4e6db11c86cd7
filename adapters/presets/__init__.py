"""Preset stores: TomlPresetStore keeps each preset as a human-editable TOML file."""
