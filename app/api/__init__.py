"""The REST API v1: routers and their dependencies only (parse, call one function, return)."""
