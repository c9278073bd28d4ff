"""Checks of the aws overlay's IAM policy: every grant on the configured secret prefix only.

ListSecrets is the one exception AWS imposes: it has no resource-level permissions, so it can
only be granted on "*" (it lists names and metadata, never values); it must stand alone.
"""

from __future__ import annotations

from typing import Any

LIST_ONLY = ["secretsmanager:ListSecrets"]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def credentials_arn(region: str, account: str, prefix: str) -> str:
    """The ARN pattern of every transformer's secret: `<prefix>/transformers/<name>/credentials`."""
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}/transformers/*"


def policy_problems(policy: dict[str, Any], allowed_resource: str) -> list[str]:
    """What in the policy reaches beyond `allowed_resource` (or ListSecrets alone on "*")."""
    problems = []
    for number, statement in enumerate(policy["Statement"]):
        where = statement.get("Sid", f"statement {number}")
        if set(statement) & {"NotAction", "NotResource", "NotPrincipal"}:
            problems.append(f"{where}: Not* grants everything else")
            continue
        if statement["Effect"] != "Allow":
            continue
        actions = _as_list(statement["Action"])
        for action in actions:
            service, _, name = action.partition(":")
            if service != "secretsmanager" or "*" in name or not name:
                problems.append(f"{where}: action {action}")
        for resource in _as_list(statement["Resource"]):
            if resource == "*" and actions == LIST_ONLY:
                continue
            if resource != allowed_resource:
                problems.append(f"{where}: resource {resource}")
    return problems
