"""The security of the OpenAPI document: the bearer scheme, and for every operation the scope
it needs (`x-ecoplane-scope`, and said in its description) and its `security`: a token, or
none for a read when anonymous callers may read with the settings served.

The guards (`require`, `metrics_reader` in app/api/auth.py) declare the scheme with their scope
through FastAPI's `Security`; this turns what FastAPI wrote into the scope and the rule."""

from __future__ import annotations

from typing import Any

from app.api.auth import METRICS
from app.settings import Settings

SCHEME = "bearer"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "an API token: of ECOPLANE_TOKENS, or made with `ecoplane token create` or"
    " POST /api/v1/tokens (`Authorization: Bearer <token>`)",
}
SCOPE = "x-ecoplane-scope"
RANK = ("read", "operate", "admin")  # each includes those before it
ORDER = {**{scope: rank for rank, scope in enumerate(RANK)}, METRICS: 0}


def secure(schema: dict[str, Any], settings: Settings) -> None:
    """Add the bearer scheme and each operation's security and scope to the document."""
    schema.setdefault("components", {})["securitySchemes"] = {SCHEME: BEARER}
    for operations in schema["paths"].values():
        for operation in operations.values():
            _secure(operation, settings)


def _secure(operation: dict[str, Any], settings: Settings) -> None:
    declared = {name for need in operation.get("security", []) for name in need.get(SCHEME, [])}
    if not declared:  # health, webhooks (signed): no token
        operation["security"] = []
        return
    scope = max(declared & ORDER.keys(), key=ORDER.__getitem__)
    if scope == METRICS:
        scope, anonymous = "read", settings.metrics_anonymous
    else:
        anonymous = scope == "read" and settings.reads_open
    operation[SCOPE] = scope
    operation["security"] = [{SCHEME: []}, {}] if anonymous else [{SCHEME: []}]
    needs = f"Needs a token with the `{scope}` scope"
    if anonymous:  # optional: a caller without a token passes too
        needs += " (or none: anonymous callers may read this service)"
    elif scope != "admin":
        wider = RANK[RANK.index(scope) + 1 :]
        needs += f" ({' and '.join(wider)} include{'s' if len(wider) == 1 else ''} it)"
    description = operation.get("description", "").rstrip()
    operation["description"] = f"{description}\n\n{needs}.".lstrip()
