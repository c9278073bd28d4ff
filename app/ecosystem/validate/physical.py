"""Rule: every warehouse name belongs to one entity of the model, or data crosses between them.

Two datastores' datasets that share a raw table or a view name would read each other's data;
two workspaces sharing a schema or read role would see each other's views; two transformers
sharing a schema, login role or credentials Secret would write as each other. Names are
compared as the warehouse spells them: lower-case, hashed when long, before the deployment's
role prefix (which is prepended to every role alike).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ecosystem.model import Datastore, Model
from app.ecosystem.names import (
    credentials_secret,
    identifier_problem,
    output_schema,
    raw_table,
    read_role,
    transformer_role,
    workspace_schema,
)
from app.ecosystem.problems import Problems, Source

CODE = "physical-name-collision"


@dataclass(frozen=True, slots=True)
class Owner:
    """An entity of the model that takes warehouse names, and where it is declared."""

    what: str  # e.g. "datastore 'Vault' dataset 'ssn'"
    source: Source
    path: str
    builtin: bool

    @property
    def where(self) -> str:
        """Where the entity is declared, as a reader finds it."""
        return "a builtin of ecoplane" if self.builtin else f"declared in {self.source.file}"


class Claims:
    """The warehouse names taken so far; a second owner of a name is a located error."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.taken: dict[tuple[str, str], Owner] = {}
        self.reported: set[tuple[str, str]] = set()

    def claim(self, kind: str, name: str, owner: Owner) -> None:
        """Take `name` (a `kind` of warehouse object) for `owner`, or report who has it."""
        first = self.taken.setdefault((kind, name), owner)
        if first.what == owner.what or (first.what, owner.what) in self.reported:
            return
        self.reported.add((first.what, owner.what))  # one problem per pair of entities
        here, other = (first, owner) if owner.builtin else (owner, first)
        self.problems.error(
            CODE,
            f"{here.what} and {other.what} ({other.where}) would both have the warehouse "
            f"{kind} {name}; warehouse names must be one-to-one (they are lower-cased, and "
            "hashed past 63 bytes): rename one of them",
            here.source,
            here.path,
        )


def check(model: Model, problems: Problems) -> None:
    """Report every warehouse name that two entities of the model would share."""
    claims = Claims(problems)
    for store in model.datastores.values():
        _datasets(claims, store)
    for workspace in model.workspaces.values():
        if identifier_problem(workspace.name) is None:
            owner = Owner(
                f"workspace {workspace.name!r}",
                workspace.source.at("metadata", "name"),
                workspace.path,
                workspace.builtin,
            )
            claims.claim("schema", workspace_schema(workspace.name), owner)
            claims.claim("role", read_role(workspace.name), owner)
    for transformer in model.transformers.values():
        if identifier_problem(transformer.name) is None:
            name = transformer.name
            owner = Owner(
                f"transformer {name!r}",
                transformer.source.at("name"),
                transformer.path,
                transformer.builtin,
            )
            claims.claim("schema", output_schema(name), owner)
            claims.claim("role", transformer_role(name), owner)
            claims.claim("credentials Secret", credentials_secret(name), owner)


def _datasets(claims: Claims, store: Datastore) -> None:
    """A dataset's raw table (`raw.<store>__<dataset>`) is also its view's name in workspaces."""
    if identifier_problem(store.name) is not None:
        return
    seen: set[str] = set()  # a repeated dataset name is reported as duplicate-name already
    for i, dataset in enumerate(store.body.datasets):
        folded = dataset.name.lower()
        if folded in seen or identifier_problem(dataset.name) is not None:
            continue
        seen.add(folded)
        owner = Owner(
            f"datastore {store.name!r} dataset {dataset.name!r}",
            store.source.at("datasets", i, "name"),
            f"{store.path}/datasets/{dataset.name}",
            store.builtin,
        )
        claims.claim("table and view name", raw_table(store.name, dataset.name), owner)
