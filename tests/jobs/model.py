"""A small model whose transformers are Python modules under tests/jobs/transformers.

`chain_a` (cron) writes ChainAOut; `chain_b` (onInputChange) reads it. `fail_a` (external)
fails; `after_fail` (onInputChange) reads its output. `sleepy` never ends by itself (timeout
5 s); `boxed` is container code.
"""

from __future__ import annotations

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from tests.ecosystem.modeltext import files

MODULES = "tests.jobs.transformers"


def workspace(
    name: str,
    sinks: list[tuple[str, str]],
    transformer: str,
    trigger: str,
    code: str,
    output: str,
    extra: str = "",
    *,
    dataset: str = "rows",
    columns: tuple[str, ...] = (),
    classification: str = "internal",
) -> str:
    """A workspace document with a transformer writing `output`: one dataset (`rows`) with an
    `id` key and the given columns (`name: type` each)."""
    sink_lines = "\n".join(
        f"        - {{datastore: {store}, dataset: {ds}}}" for store, ds in sinks
    )
    column_lines = "".join(
        f"            - {{name: {n.strip()}, type: {t.strip()}}}\n"
        for n, _, t in (c.partition(":") for c in columns)
    )
    return f"""\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {{name: {name}, zone: USA, team: Analytics}}
spec:
  datasetGroups:
    - name: main
      platform: {{name: YellowLive, status: provisioned}}
      sinks:
{sink_lines}
  transformer:
    name: {transformer}
    trigger: {trigger}
    code: {code}
{extra}    output:
      name: {output}
      datasets:
        - name: {dataset}
          classification: [{classification}]
          columns:
            - {{name: id, type: bigint, primaryKey: true, nullable: false}}
{column_lines}"""


def python(module: str) -> str:
    """Python code of a module under tests/jobs/transformers."""
    return f"{{python: {{module: {MODULES}.{module}}}}}"


def jobs_model(chain_a_cron: str = "*/5 * * * *", without_chain: bool = False) -> Model:
    """The jobs test model, loaded (it has no errors); `without_chain`: chain_a and chain_b
    (and their workspaces) left out."""
    customers = [("Customers", "customers")]
    documents: dict[str, str | None] = {
        "jobs/a.yaml": workspace(
            "ChainA", customers, "chain_a", f'{{cron: "{chain_a_cron}"}}', python("ok"), "ChainAOut"
        ),
        "jobs/b.yaml": workspace(
            "ChainB",
            [("ChainAOut", "rows")],
            "chain_b",
            "{onInputChange: true}",
            python("ok"),
            "ChainBOut",
        ),
        "jobs/f.yaml": workspace(
            "FailA", customers, "fail_a", "{external: true}", python("failing"), "FailAOut"
        ),
        "jobs/g.yaml": workspace(
            "AfterFail",
            [("FailAOut", "rows")],
            "after_fail",
            "{onInputChange: true}",
            python("ok"),
            "AfterFailOut",
        ),
        "jobs/s.yaml": workspace(
            "Sleepy",
            customers,
            "sleepy",
            "{external: true}",
            python("sleepy"),
            "SleepyOut",
            "    timeoutSeconds: 5\n",  # room for Python to start on a loaded machine
        ),
    }
    if without_chain:
        documents = {k: v for k, v in documents.items() if k not in ("jobs/a.yaml", "jobs/b.yaml")}
    model = load_texts(files(documents))
    assert model.errors == 0, [p.message for p in model.problems if p.severity == "error"]
    return model
