"""Typed spec of every kind of model document (pydantic v2, unknown fields forbidden)."""
