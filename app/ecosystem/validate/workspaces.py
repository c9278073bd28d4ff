"""Rules on workspaces, their dataset groups and platforms, and transformers."""

from __future__ import annotations

from app.ecosystem.builtins import BUILTIN_CODES
from app.ecosystem.graph import transformer_cycles
from app.ecosystem.model import Model, Workspace
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.governance import LATENCY_ORDER
from app.ecosystem.spec.workspace import DatasetGroup, TransformerSpec
from app.ecosystem.validate.identifiers import identifier
from app.ecosystem.validate.stores import builtin_zone_used, check_cron


def check(model: Model, problems: Problems) -> None:
    """Check every workspace and transformer, then cycles between transformers."""
    for workspace in model.workspaces.values():
        if workspace.builtin:
            continue
        _workspace(model, workspace, problems)
    for cycle in transformer_cycles(model):
        first = model.transformers[cycle[0]]
        chain = " → ".join([*cycle, cycle[0]])
        problems.error(
            "transformer-cycle",
            f"transformers form a cycle: {chain}; only a transformer reading "
            "its own output may loop",
            first.source.at("name"),
            first.path,
        )


def _workspace(model: Model, workspace: Workspace, problems: Problems) -> None:
    source, path = workspace.source, workspace.path
    identifier(workspace.name, source.at("metadata", "name"), path, problems)
    zone = model.zones.get(workspace.zone)
    if model.ecosystem is None:
        pass  # zones, teams and platforms are declared by the ecosystem, whose problem is reported
    elif zone is not None and zone.builtin:
        builtin_zone_used(
            "workspace", workspace.name, source.at("metadata", "zone"), path, problems
        )
    elif zone is None:
        problems.error(
            "unknown-zone",
            f"workspace {workspace.name!r} names zone {workspace.zone!r}, which the "
            "ecosystem does not declare",
            source.at("metadata", "zone"),
            path,
        )
    elif model.team(workspace.zone, workspace.team) is None:
        problems.error(
            "unknown-team",
            f"workspace {workspace.name!r} names team {workspace.team!r}, which "
            f"zone {workspace.zone!r} does not declare",
            source.at("metadata", "team"),
            path,
        )
    seen: set[str] = set()
    for i, group in enumerate(workspace.spec.dataset_groups):
        at, group_path = source.at("spec", "datasetGroups", i), f"{path}/datasetGroups/{group.name}"
        identifier(group.name, at.at("name"), group_path, problems)
        if group.name.lower() in seen:
            problems.error(
                "duplicate-name",
                f"dataset group {group.name!r} appears more than once in "
                f"workspace {workspace.name!r}",
                at.at("name"),
                group_path,
            )
        seen.add(group.name.lower())
        if not group.sinks:
            problems.error(
                "empty-dataset-group",
                f"dataset group {group.name!r} has no sinks",
                at.at("name"),
                group_path,
            )
        if model.ecosystem is not None:
            _platform(model, group, at, group_path, problems)
    if workspace.spec.transformer is not None:
        _transformer(
            workspace.spec.transformer,
            source.at("spec", "transformer"),
            f"{path}/transformer",
            problems,
        )


def _platform(model: Model, group: DatasetGroup, at: Source, path: str, problems: Problems) -> None:
    if group.platform is not None:
        if group.platform.name not in model.data_platforms:
            known = ", ".join(sorted(model.data_platforms)) or "(none declared)"
            problems.error(
                "unknown-platform",
                f"data platform {group.platform.name!r} does not exist; declared: {known}",
                at.at("platform", "name"),
                path,
            )
        return
    wanted = group.requirements
    assert wanted is not None
    for platform in model.data_platforms.values():
        retention_ok = wanted.retention is None or platform.retention == wanted.retention
        latency_ok = (
            wanted.latency is None
            or LATENCY_ORDER[platform.latency] <= LATENCY_ORDER[wanted.latency]
        )
        if retention_ok and latency_ok:
            return
    asked = (
        ", ".join(f"{k}={v}" for k, v in wanted.model_dump(exclude_none=True).items()) or "nothing"
    )
    problems.error(
        "requirement-unmet",
        f"no data platform meets the requirements of dataset group {group.name!r} ({asked})",
        at.at("requirements"),
        path,
    )


def _transformer(spec: TransformerSpec, at: Source, path: str, problems: Problems) -> None:
    identifier(spec.name, at.at("name"), path, problems)
    if spec.trigger.cron is not None:
        check_cron(spec.trigger.cron, at.at("trigger", "cron"), f"{path}/trigger", problems)
    if spec.code.builtin is not None and spec.code.builtin not in BUILTIN_CODES:
        problems.error(
            "unknown-builtin-code",
            f"builtin code {spec.code.builtin!r} does not exist; "
            f"builtins: {', '.join(sorted(BUILTIN_CODES))}",
            at.at("code", "builtin"),
            path,
        )
