"""Changes between model versions: their kinds, the severity rules table, and who they reach."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.ecosystem.coltypes import ColumnTypeError, Width, compare, parse_type
from app.ecosystem.graph import consumers, workspaces_by_datastore
from app.ecosystem.model import Model
from app.ecosystem.spec.datastore import Column


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class Impact(StrEnum):
    BREAKING = "breaking"
    WARNING = "warning"
    SAFE = "safe"


B, W, S = Impact.BREAKING, Impact.WARNING, Impact.SAFE
# rule -> (severity when a workspace consumes the entity, severity when nobody does)
RULES: dict[str, tuple[Impact, Impact]] = {
    "datastore-removed": (B, W),
    "dataset-removed": (B, W),
    "column-removed": (B, W),
    "column-type-narrowed": (B, W),  # narrower, or another family
    "column-type-widened": (S, S),
    "primary-key-changed": (B, W),
    "column-made-nullable": (B, S),
    "column-made-not-null": (S, S),
    "classification-changed": (W, S),
    "deprecated": (W, S),
    "undeprecated": (S, S),
    "production-status-changed": (W, S),
    "owner-changed": (W, S),
    "ingestion-changed": (S, S),
    "approval-changed": (W, S),
    "description-changed": (S, S),
    "labels-changed": (S, S),
    "added": (S, S),
    "workspace-removed": (W, W),
    "workspace-changed": (S, S),
    "sink-removed": (S, S),
    "sink-changed": (S, S),
    "dataset-group-removed": (S, S),
    "dataset-group-changed": (S, S),
    "transformer-removed": (W, W),
    "transformer-changed": (S, S),
    "zone-removed": (W, W),
    "team-removed": (W, W),
    "policy-changed": (W, W),
    "vocabulary-changed": (W, W),
    "platform-removed": (W, W),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One change: what, where, how severe, and which workspaces it reaches."""

    kind: ChangeKind
    path: str
    rule: str
    severity: Impact
    message: str
    affected: tuple[str, ...] = ()
    indirectly_affected: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a change."""
        return {
            "kind": self.kind.value,
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "affectedWorkspaces": list(self.affected),
            "indirectlyAffectedWorkspaces": list(self.indirectly_affected),
        }

    def as_line(self) -> str:
        """One line: severity, kind, path, message and the workspaces reached."""
        reach = f" (affects {', '.join(self.affected)})" if self.affected else ""
        if self.indirectly_affected:
            reach += f" (then, through transformers, {', '.join(self.indirectly_affected)})"
        return f"{self.severity.value} {self.kind.value} {self.path}: {self.message}{reach}"


class Differ:
    """Collects changes, rating each by the rules table and the workspaces it reaches."""

    def __init__(self, old: Model, new: Model) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.readers = _readers(old, new)
        self._downstream: dict[str, set[str]] = {}  # output datastore -> its consumers in new
        self._stores_index: dict[str, set[str]] | None = None

    def emit(
        self,
        kind: ChangeKind,
        path: str,
        rule: str,
        message: str,
        reach: tuple[str, str, str | None] | None = None,
    ) -> None:
        affected = sorted(self._affected(*reach)) if reach else []
        severity = RULES[rule][0 if affected else 1]
        indirect: set[str] = set()
        for name in affected:
            transformer = self.old.workspaces[name].spec.transformer
            if transformer is not None and transformer.output.name in self.new.datastores:
                indirect |= self._consumers(transformer.output.name)
        self.changes.append(
            Change(
                kind,
                path,
                rule,
                severity,
                message,
                tuple(affected),
                tuple(sorted(indirect - set(affected))),
            )
        )

    def _consumers(self, datastore: str) -> set[str]:
        found = self._downstream.get(datastore)
        if found is None:
            found = self._downstream[datastore] = set(
                consumers(self.new, datastore, self._by_store())
            )
        return found

    def _by_store(self) -> dict[str, set[str]]:
        if self._stores_index is None:
            self._stores_index = workspaces_by_datastore(self.new)
        return self._stores_index

    def _affected(self, store: str, dataset: str, column: str | None) -> set[str]:
        if dataset == "*":
            return {
                w
                for (s, _), readers in self.readers.items()
                if s == store
                for w, c in readers.items()
                if column is None or c is None or column in c
            }
        readers = self.readers.get((store, dataset), {})
        return {
            w
            for w, chosen in readers.items()
            if column is None or chosen is None or column in chosen
        }


def _readers(old: Model, new: Model) -> dict[tuple[str, str], dict[str, frozenset[str] | None]]:
    """Who sinks each dataset in the old model and still sinks it in the new one, and the columns
    read in both (None: every column): a sink removed or narrowed in the same change is adapted."""

    def index(model: Model) -> dict[tuple[str, str], dict[str, frozenset[str] | None]]:
        found: dict[tuple[str, str], dict[str, frozenset[str] | None]] = defaultdict(dict)
        for workspace in model.workspaces.values():
            for group in workspace.spec.dataset_groups:
                for sink in group.sinks:
                    chosen = frozenset(sink.columns) if sink.columns is not None else None
                    previous = found[(sink.datastore, sink.dataset)].get(
                        workspace.name, frozenset()
                    )
                    merged = None if chosen is None or previous is None else previous | chosen
                    found[(sink.datastore, sink.dataset)][workspace.name] = merged
        return found

    before, after = index(old), index(new)
    return {
        key: {w: _both(c, after[key][w]) for w, c in readers.items() if w in after.get(key, {})}
        for key, readers in before.items()
    }


def _both(old: frozenset[str] | None, new: frozenset[str] | None) -> frozenset[str] | None:
    """The columns a sink reads before and after a change (None: every column)."""
    if old is None or new is None:
        return new if old is None else old
    return old & new


def type_width(old: Column, new: Column) -> Width | None:
    """How a column's type changed, or None when either type does not parse."""
    try:
        return compare(parse_type(old.type), parse_type(new.type))
    except ColumnTypeError:
        return None
