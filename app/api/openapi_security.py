"""The security of the OpenAPI document: the bearer scheme, and for every operation the scope
it needs (`x-ecoplane-scope`, and said in its description) and its `security`: a token, or
none for a read when anonymous callers may read with the settings served."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.auth import GUARDS, Guard
from app.settings import Settings

SCHEME = "bearer"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "an API token: of ECOPLANE_TOKENS, or made with `ecoplane token create` or"
    " POST /api/v1/tokens (`Authorization: Bearer <token>`)",
}
SCOPE = "x-ecoplane-scope"


def guards_of(app: FastAPI) -> dict[str, Guard]:
    """The guard of every guarded operation, by operationId (the route's name)."""
    found: dict[str, Guard] = {}
    for route in app.routes:
        if isinstance(route, APIRoute):
            guard = _guard(route.dependant)
            if guard is not None:
                found[route.name] = guard
    return found


def _guard(dependant: Dependant) -> Guard | None:
    """The strongest guard among a route's dependencies (admin over operate over read)."""
    rank = ("read", "operate", "admin")
    guards = [GUARDS[d.call] for d in _walk(dependant) if d.call in GUARDS]
    return max(guards, key=lambda guard: rank.index(guard.scope), default=None)


def _walk(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_walk(sub))
    return found


def secure(schema: dict[str, Any], guards: dict[str, Guard], settings: Settings) -> None:
    """Add the bearer scheme and each operation's security and scope to the document."""
    schema.setdefault("components", {})["securitySchemes"] = {SCHEME: BEARER}
    for operations in schema["paths"].values():
        for operation in operations.values():
            guard = guards.get(operation["operationId"])
            if guard is None:  # health, webhooks (signed): no token
                operation["security"] = []
                continue
            operation[SCOPE] = guard.scope
            operation["security"] = [{SCHEME: []}]
            needs = f"Needs a token with the `{guard.scope}` scope"
            if guard.anonymous(settings):
                operation["security"].append({})  # optional: anonymous callers pass too
                needs += " (or none: anonymous callers may read this service)"
            elif guard.scope == "read":
                needs += " (operate and admin include it)"
            elif guard.scope == "operate":
                needs += " (admin includes it)"
            description = operation.get("description", "").rstrip()
            operation["description"] = f"{description}\n\n{needs}.".lstrip()
