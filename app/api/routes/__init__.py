"""The routers of API v1."""
