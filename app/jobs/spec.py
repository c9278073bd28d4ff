"""Job specs: what a run executes, built from the model and the settings by pure functions.

A `JobSpec` is runner-neutral: the local runner starts it as a child process, the Kubernetes
runner sends it as a `batch/v1` Job (app/jobs/job_body.py). Credentials appear only as `SecretRef`s
(Secret `ecoplane-dt-<name>`, or `ecoplane-di-<name>` of an ingestion, libpq-style keys): never
as values.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from app.db.run_table import RunKind
from app.ecosystem.names import (
    credentials_secret,
    dns_label,
    ingestion_credentials,
    output_schema,
    workspace_schema,
)
from app.ecosystem.names import source_secret as source_secret  # re-exported for the workers
from app.settings import Settings

PG_KEYS = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
MANAGED_BY = "app.kubernetes.io/managed-by"
CONTAINER = "run"
RUN_USER = 10001
PYTHON_HARNESS = "workers.python_transformer"  # runs `run(connection, context)` or `main()`
MODEL_DATABASE_URL = "ECOPLANE_MODEL_DATABASE_URL"  # the model export reads the model with it
DASHBOARD_SECRET = "ecoplane-dashboard"  # key database-url: the read-only dashboard role's URL
SOURCE_USER, SOURCE_PASSWORD = "ECOPLANE_SOURCE_USER", "ECOPLANE_SOURCE_PASSWORD"  # ingestion
SOURCE_CREDENTIAL = "ECOPLANE_SOURCE_CREDENTIAL"  # its name (not a secret): where the login is


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A key of a Kubernetes Secret (or of the local secret store), never its value."""

    secret: str
    key: str


@dataclass(frozen=True, slots=True)
class TransformerCode:
    """What the model says about running a transformer (a row of model_transformers)."""

    name: str
    workspace: str
    code_kind: str  # container, python or builtin
    image: str | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    module: str | None = None
    builtin_code: str | None = None
    cpu: str | None = None
    memory: str | None = None
    timeout_seconds: int = 3600
    retries: int = 0


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One run, ready for a runner: image, command, environment, limits, identity."""

    run_id: int
    kind: RunKind
    target: str
    name: str  # the Job name: the runner's idempotency key
    image: str
    command: tuple[str, ...]
    env: dict[str, str]
    secret_env: dict[str, SecretRef]
    timeout_seconds: int
    retries: int
    service_account: str
    labels: dict[str, str]
    module: str | None = None  # python code (and builtins): run with the service's interpreter
    cpu: str | None = None
    memory: str | None = None
    config_map: str | None = None  # the service's settings, for its own workers (not transformers)


def job_name(kind: str, target: str, run_id: int) -> str:
    """`ecoplane-<kind>-<target>-<run id>`, DNS-safe and at most 63 characters."""
    head, tail = f"ecoplane-{dns_label(kind)}-", f"-{run_id}"
    middle = dns_label(target)[: 63 - len(head) - len(tail)].strip("-") or "x"
    return f"{head}{middle}{tail}"


def label_value(text: str) -> str:
    """A label value for text: itself when allowed, else a cleaned prefix and a short hash."""
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?", text):
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:50].strip("-_.")
    return f"{cleaned}-{digest}" if cleaned else digest


def labels(kind: str, target: str, run_id: int) -> dict[str, str]:
    """The labels of a run's Job and pods."""
    return {
        MANAGED_BY: "ecoplane",
        "ecoplane.io/kind": label_value(kind),
        "ecoplane.io/target": label_value(target),
        "ecoplane.io/run-id": str(run_id),
    }


def worker_module(builtin: str) -> str:
    """The `workers` module running a builtin (`externalize-model` → workers.externalize_model)."""
    return f"workers.{builtin.replace('-', '_')}"


def transformer_environment(code: TransformerCode, run_id: int) -> dict[str, str]:
    """The transformer contract (OPERATIONS.md), after the model's own variables."""
    return {
        **code.env,
        "ECOPLANE_RUN_ID": str(run_id),
        "ECOPLANE_TRANSFORMER": code.name,
        "ECOPLANE_WORKSPACE": code.workspace,
        "ECOPLANE_INPUT_SCHEMA": workspace_schema(code.workspace),
        "ECOPLANE_OUTPUT_SCHEMA": output_schema(code.name),
    }


def transformer_kind(code: TransformerCode) -> RunKind:
    """The job kind of a transformer's runs: `transformer`, or the builtin it runs."""
    if code.code_kind == "builtin" and code.builtin_code:
        return RunKind(code.builtin_code)  # validation admits only the builtins RunKind names
    return RunKind.TRANSFORMER


def _command(code: TransformerCode, module: str | None) -> tuple[str, ...]:
    """A container's own command; python code through the harness; a builtin's worker."""
    if code.code_kind == "container":
        return (*code.command, *code.args)
    if code.code_kind == "python":
        return ("python", "-m", PYTHON_HARNESS, module or "")
    return ("python", "-m", module or "")


def _secret_env(code: TransformerCode) -> dict[str, SecretRef]:
    """The transformer's own role (libpq keys); the model export also reads the model."""
    secret = credentials_secret(code.name)
    refs = {key: SecretRef(secret, key) for key in PG_KEYS}
    if code.code_kind == "builtin" and code.builtin_code == "externalize-model":
        refs[MODEL_DATABASE_URL] = SecretRef(DASHBOARD_SECRET, "database-url")
    return refs


def transformer_job(code: TransformerCode, run_id: int, settings: Settings) -> JobSpec:
    """The spec of one run of a transformer."""
    kind = transformer_kind(code)
    module = code.module
    if code.code_kind == "builtin" and code.builtin_code:
        module = worker_module(code.builtin_code)
    image = (
        (code.image or settings.jobs_image)
        if code.code_kind == "container"
        else settings.jobs_image
    )
    return JobSpec(
        run_id=run_id,
        kind=kind,
        target=code.name,
        name=job_name(kind, code.name, run_id),
        image=image,
        command=_command(code, module),
        env=transformer_environment(code, run_id),
        secret_env=_secret_env(code),
        timeout_seconds=code.timeout_seconds,
        retries=code.retries,
        service_account=settings.transformer_service_account,
        labels=labels(kind, code.name, run_id),
        module=module if code.code_kind != "container" else None,
        cpu=code.cpu,
        memory=code.memory,
    )


def security_sync_job(run_id: int, settings: Settings) -> JobSpec:
    """The spec of one security sync run (its worker arrives with the security sync)."""
    module = worker_module(RunKind.SECURITY_SYNC)
    secret = "ecoplane-admin"
    return JobSpec(
        run_id=run_id,
        kind=RunKind.SECURITY_SYNC,
        target=RunKind.SECURITY_SYNC,
        name=job_name(RunKind.SECURITY_SYNC, RunKind.SECURITY_SYNC, run_id),
        image=settings.jobs_image,
        command=("python", "-m", module),
        env={"ECOPLANE_RUN_ID": str(run_id)},
        secret_env={
            "ECOPLANE_DATABASE_URL": SecretRef(secret, "database-url"),
            "ECOPLANE_WAREHOUSE_URL": SecretRef(secret, "warehouse-url"),
        },
        timeout_seconds=3600,
        retries=0,
        service_account=settings.security_sync_service_account,
        labels=labels(RunKind.SECURITY_SYNC, RunKind.SECURITY_SYNC, run_id),
        module=module,
        config_map=settings.jobs_config_map,
    )


def ingestion_job(
    datastore: str, credential: str | None, run_id: int, settings: Settings
) -> JobSpec:
    """The spec of one data ingestion run: `python -m workers.ingest DATASTORE`, a batch.

    The worker writes the warehouse as the datastore's own login role `di_<datastore>` (libpq
    keys of the Secret `ecoplane-di-<name>` the security sync writes), never as the admin; it
    records the batch with the control-plane URL (Secret `ecoplane-admin`, key `database-url`);
    the source login comes from the secret `ingestion.credential` names."""
    module = worker_module("ingest")
    own = credentials_secret(ingestion_credentials(datastore))
    secret_env = {key: SecretRef(own, key) for key in PG_KEYS}
    secret_env["ECOPLANE_DATABASE_URL"] = SecretRef("ecoplane-admin", "database-url")
    if credential:
        source = source_secret(credential)
        secret_env[SOURCE_USER] = SecretRef(source, "user")
        secret_env[SOURCE_PASSWORD] = SecretRef(source, "password")
    return JobSpec(
        run_id=run_id,
        kind=RunKind.INGESTION,
        target=datastore,
        name=job_name(RunKind.INGESTION, datastore, run_id),
        image=settings.jobs_image,
        command=("python", "-m", module, datastore),
        env={
            "ECOPLANE_RUN_ID": str(run_id),
            "ECOPLANE_DATASTORE": datastore,
            **({SOURCE_CREDENTIAL: credential} if credential else {}),
        },
        secret_env=secret_env,
        timeout_seconds=3600,
        retries=0,
        service_account=settings.transformer_service_account,
        labels=labels(RunKind.INGESTION, datastore, run_id),
        module=module,
        config_map=settings.jobs_config_map,
    )


def followed_spec(run_id: int, kind: RunKind, target: str, name: str) -> JobSpec:
    """A stand-in spec for following a Job another replica started (only its identity counts)."""
    return JobSpec(
        run_id=run_id, kind=kind, target=target, name=name, image="", command=(), env={},
        secret_env={}, timeout_seconds=0, retries=0, service_account="", labels={},
    )  # fmt: skip
