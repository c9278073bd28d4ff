"""Events: what happened, written to an outbox and delivered."""
