"""Model ↔ database: externalize a model version, activate it atomically, keep the newest."""
