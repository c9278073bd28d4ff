"""The ecosystem model: spec, loader, validation, builtins, graph and diff (pure Python)."""
