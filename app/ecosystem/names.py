"""Naming rules: which names may become SQL identifiers, and the words they may not be."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,62}")

IDENTIFIER_FORM = "a letter, then letters, digits or '_', at most 63 characters"
LABEL_FORM = "a letter, then letters, digits, '_', '.' or '-', at most 63 characters"

# PostgreSQL's reserved key words (and those reserved except as function or type names).
SQL_RESERVED = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user
    default deferrable desc distinct do else end except false fetch for foreign freeze from
    full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only
    or order outer overlaps placing primary references returning right select session_user
    similar some symmetric system_user table tablesample then to trailing true union unique
    user using variadic verbose when where window with
    """.split()
)
# The system columns every PostgreSQL table has: a column of the same name cannot be created.
SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid"})
MAX_COLUMNS = 1600  # PostgreSQL's limit of columns in a table
MAX_KEY_COLUMNS = 32  # PostgreSQL's limit of columns in an index (a primary key is one)


@lru_cache(maxsize=65536)
def identifier_problem(name: str) -> str | None:
    """Why a name cannot become an SQL identifier, or None when it can."""
    if not IDENTIFIER.fullmatch(name):
        return f"{name!r} is not a valid name: use {IDENTIFIER_FORM}"
    if name.lower() in SQL_RESERVED:
        return f"{name!r} is an SQL reserved word and cannot be used as a name"
    return None


def label_problem(name: object) -> str | None:
    """Why a zone, team, platform, vendor or location name is invalid, or None."""
    if not isinstance(name, str) or not LABEL.fullmatch(name):
        return f"{name!r} is not a valid name: use {LABEL_FORM}"
    return None


def physical_name(prefix: str, name: str) -> str:
    """A warehouse name: lower-case, at most 63 bytes; a longer one keeps a prefix, `_` and a hash."""
    full = f"{prefix}{name}".lower()
    if len(full.encode()) <= 63:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[:54]}_{digest}"


def system_column_problem(name: str) -> str | None:
    """Why a column name cannot be used because PostgreSQL reserves it, or None when it can."""
    if name.lower() in SYSTEM_COLUMNS:
        return (
            f"column {name!r} has the name of a PostgreSQL system column "
            f"({', '.join(sorted(SYSTEM_COLUMNS))}), which no table can have; rename it"
        )
    return None


@lru_cache(maxsize=1 << 17)
def physical(name: str) -> str:
    """A model name as a warehouse name: lower-case, at most 63 bytes (longer: prefix_hash)."""
    return physical_name("", name)


RAW_SCHEMA = "raw"  # the warehouse schema of the ingested datasets' raw tables


def raw_table(datastore: str, dataset: str) -> str:
    """The raw table of an ingested dataset (in schema `raw`), and every workspace's view of it."""
    return physical(f"{datastore}__{dataset}")


def read_role(workspace: str, prefix: str = "") -> str:
    """The NOLOGIN role that may read a workspace's views (roles are cluster-wide: a prefix
    keeps two warehouses of one cluster apart)."""
    return physical(f"{prefix}ws_{workspace}_read")


def workspace_schema(workspace: str) -> str:
    """The schema of a workspace's views (`ws_<workspace>`): a transformer's input."""
    return physical_name("", f"ws_{workspace}")


def output_schema(transformer: str) -> str:
    """The schema a transformer writes its output datasets into (`out_<transformer>`)."""
    return physical_name("", f"out_{transformer}")


def dataset_table(datastore: str, dataset: str, producer: str | None) -> tuple[str, str]:
    """The schema and table of a datastore's dataset in the warehouse: `raw.<datastore>__<dataset>`
    when ingested, `out_<producer>.<dataset>` when the transformer `producer` writes it."""
    if producer is None:
        return RAW_SCHEMA, raw_table(datastore, dataset)
    return output_schema(producer), physical(dataset)


def transformer_role(transformer: str, prefix: str = "") -> str:
    """The login role of a transformer (roles are cluster-wide: a prefix keeps two warehouses
    of one cluster apart)."""
    return physical_name("", f"{prefix}dt_{transformer}")


def ingestion_role(datastore: str, prefix: str = "") -> str:
    """The login role a datastore's ingestion writes its raw tables as (`di_<datastore>`)."""
    return physical_name("", f"{prefix}di_{datastore}")


# a datastore's ingestion credentials are kept in the secret stores beside the transformers',
# under `datastore.<name>`: no transformer name has a '.', so the two never meet
INGESTION_KEY = "datastore."


def ingestion_credentials(datastore: str) -> str:
    """The secret stores' key of a datastore's ingestion login (`datastore.<name>`)."""
    return f"{INGESTION_KEY}{datastore}"


def history_view(datastore: str, dataset: str) -> str:
    """The view of every version of a forensic dataset in a workspace (`<view>__history`)."""
    return physical(f"{datastore}__{dataset}__history")


def dns_label(text: str) -> str:
    """Lower-case letters, digits and '-', no '-' at either end (what Kubernetes names allow)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")


def credentials_secret(owner: str) -> str:
    """Where a run finds a login role's libpq-style credentials: `ecoplane-dt-<dns label>` of a
    transformer, `ecoplane-di-<dns label>` of a datastore's ingestion (key `datastore.<name>`):
    the Kubernetes Secret's name, and the local store's `<data dir>/secrets/<name>.json`."""
    if owner.startswith(INGESTION_KEY):
        return f"ecoplane-di-{dns_label(owner[len(INGESTION_KEY) :])}"
    return f"ecoplane-dt-{dns_label(owner)}"


def credential_problem(name: object) -> str | None:
    """Why an `ingestion.credential` cannot name a source login, or None when it can (the
    names of secrets: a letter, then letters, digits, '_', '.' or '-')."""
    if not isinstance(name, str) or not LABEL.fullmatch(name):
        return f"credential {name!r} is not a valid name: use {LABEL_FORM}"
    return None


def source_secret(credential: str) -> str:
    """The secret holding a source login (keys `user`, `password`): `ecoplane-source-<dns label>`
    (the Kubernetes Secret's name, and the local store's `<data dir>/secrets/<name>.json`)."""
    return f"ecoplane-source-{dns_label(credential)}"


# the Kubernetes Secret listing the credentials whose source-login Secrets ecoplane wrote: a name
# no credential's Secret can have (a DNS label never starts with '-'); key `credentials`, a JSON
# list of exact credential names
SOURCE_INDEX, SOURCE_INDEX_KEY = "ecoplane-source--index", "credentials"

# the Kubernetes Secret listing the transformers whose credentials Secrets ecoplane wrote
# (ecoplane may not list Secrets): a name no transformer's Secret can have, as a DNS label never
# starts with '-'; key `transformers` holds a JSON list of exact transformer names
CREDENTIALS_INDEX, CREDENTIALS_INDEX_KEY = "ecoplane-dt--index", "transformers"
