"""Rule: every warehouse name belongs to one entity of the model, or data crosses between them.

Two datastores' datasets that share a raw table or a view name (or a forensic dataset's history
view) would read each other's data; two ingested datastores sharing a `di_` login role would
write as each other;
two workspaces sharing a schema or read role would see each other's views; two transformers
sharing a schema, login role or credentials Secret would write as each other. Names are
compared as the warehouse spells them: lower-case, hashed when long, before the deployment's
role prefix (which is prepended to every role alike).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ecosystem.model import Datastore, Model, Transformer, Workspace
from app.ecosystem.names import (
    credentials_secret,
    history_view,
    identifier_problem,
    ingestion_credentials,
    ingestion_role,
    output_schema,
    raw_table,
    read_role,
    transformer_role,
    workspace_schema,
)
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.datastore import RUNNABLE_KINDS, Milestoning

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


# an entity taking names, as cheap to keep as possible (its Owner is made on a collision):
# (datastore, dataset index), a workspace or a transformer
Taker = tuple[Datastore, int] | Datastore | Workspace | Transformer


def owner(taker: Taker) -> Owner:
    """What a taker is called in a message, and where it is declared."""
    if isinstance(taker, tuple):
        store, index = taker
        dataset = store.body.datasets[index].name
        return Owner(
            f"datastore {store.name!r} dataset {dataset!r}",
            store.source.at("datasets", index, "name"),
            f"{store.path}/datasets/{dataset}",
            store.builtin,
        )
    if isinstance(taker, Datastore):
        at = taker.source.at("metadata", "name")
        return Owner(f"datastore {taker.name!r}", at, taker.path, taker.builtin)
    if isinstance(taker, Workspace):
        at = taker.source.at("metadata", "name")
        return Owner(f"workspace {taker.name!r}", at, taker.path, taker.builtin)
    return Owner(f"transformer {taker.name!r}", taker.source.at("name"), taker.path, taker.builtin)


class Claims:
    """The warehouse names taken so far; a second owner of a name is a located error."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.taken: dict[tuple[str, str], Taker] = {}
        self.reported: set[tuple[str, str]] = set()

    def claim(self, kind: str, name: str, taker: Taker) -> None:
        """Take `name` (a `kind` of warehouse object) for `taker`, or report who has it."""
        first = self.taken.setdefault((kind, name), taker)
        if first is taker:
            return
        earlier, later = owner(first), owner(taker)
        if (earlier.what, later.what) in self.reported:
            return
        self.reported.add((earlier.what, later.what))  # one problem per pair of entities
        here, other = (earlier, later) if later.builtin else (later, earlier)
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
            claims.claim("schema", workspace_schema(workspace.name), workspace)
            claims.claim("role", read_role(workspace.name), workspace)
    for transformer in model.transformers.values():
        if identifier_problem(transformer.name) is None:
            name = transformer.name
            claims.claim("schema", output_schema(name), transformer)
            claims.claim("role", transformer_role(name), transformer)
            claims.claim("credentials Secret", credentials_secret(name), transformer)


def _datasets(claims: Claims, store: Datastore) -> None:
    """A dataset's raw table (`raw.<store>__<dataset>`) is also its view's name in workspaces."""
    if identifier_problem(store.name) is not None:
        return
    ingestion = store.ingestion
    ingested = store.producer is None and ingestion is not None
    if ingested and ingestion is not None and ingestion.kind in RUNNABLE_KINDS:
        # ecoplane's ingestion logs in as di_<datastore>, its password in a Secret of its own
        claims.claim("role", ingestion_role(store.name), store)
        claims.claim(
            "credentials Secret", credentials_secret(ingestion_credentials(store.name)), store
        )
        versions = ingestion.milestoning is Milestoning.FORENSIC
    else:
        versions = False
    seen: set[str] = set()  # a repeated dataset name is reported as duplicate-name already
    for i, dataset in enumerate(store.body.datasets):
        folded = dataset.name.lower()
        if folded in seen or identifier_problem(dataset.name) is not None:
            continue
        seen.add(folded)
        claims.claim("table and view name", raw_table(store.name, dataset.name), (store, i))
        if versions:  # a sink with history: true views every version under this name
            claims.claim("table and view name", history_view(store.name, dataset.name), (store, i))
