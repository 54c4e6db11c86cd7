"""Plan files (TOML, docs/plans.md) and the one-runner-per-plan lock."""
