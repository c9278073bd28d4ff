"""Evaluates deploy/'s ValidatingAdmissionPolicy (CEL) on a sample Secret write, as the
API server would: match conditions, then variables, then every validation."""

from __future__ import annotations

from typing import Any

import celpy
from celpy.adapter import json_to_cel

from tests.deploy.kustomize import Obj


def _run(expression: str, activation: dict[str, Any]) -> Any:
    environment = celpy.Environment()
    return environment.program(environment.compile(expression)).evaluate(activation)


def admits(policy: Obj, operation: str, username: str, secret: Obj) -> bool:
    """Whether the policy lets `username` do `operation` (CREATE, UPDATE, DELETE) on `secret`."""
    request = {"operation": operation, "userInfo": {"username": username}}
    activation: dict[str, Any] = {
        "request": json_to_cel(request),
        "object": json_to_cel(None if operation == "DELETE" else secret),
        "oldObject": json_to_cel(None if operation == "CREATE" else secret),
    }
    spec = policy["spec"]
    if not all(_run(c["expression"], activation) for c in spec.get("matchConditions", [])):
        return True  # not this policy's business
    variables = {
        celpy.celtypes.StringType(v["name"]): _run(v["expression"], activation)
        for v in spec.get("variables", [])
    }
    activation["variables"] = celpy.celtypes.MapType(variables)
    return all(bool(_run(v["expression"], activation)) for v in spec["validations"])
