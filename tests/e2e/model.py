"""The end-to-end model: BASE plus a chain of python transformers under tests/e2e/transformers."""

from __future__ import annotations

MODULES = "tests.e2e.transformers"


def _workspace(name: str, sink: str, transformer: str, trigger: str, module: str, output: str,
               dataset: str, columns: str) -> str:  # fmt: skip
    store, _, table = sink.partition(".")
    return f"""\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {{name: {name}, zone: USA, team: Analytics}}
spec:
  datasetGroups:
    - name: main
      platform: {{name: YellowLive, status: provisioned}}
      sinks:
        - {{datastore: {store}, dataset: {table}}}
  transformer:
    name: {transformer}
    trigger: {trigger}
    code: {{python: {{module: {MODULES}.{module}}}}}
    timeoutSeconds: 120
    output:
      name: {output}
      datasets:
        - name: {dataset}
          classification: [pc1]
          columns:
            - {{name: id, type: bigint, primaryKey: true, nullable: false}}
{columns}"""


COUNTS = "            - {name: customers, type: bigint}\n"
CHAIN: dict[str, str | None] = {
    "zones/usa/masking.yaml": _workspace(
        "Masking", "Customers.customers", "mask_customers", "{external: true}", "mask",
        "MaskedE2E", "customers_masked", "            - {name: email_hash, type: char(64)}\n",
    ),
    "zones/usa/counting.yaml": _workspace(
        "Counting", "MaskedE2E.customers_masked", "count_masked", "{onInputChange: true}",
        "count", "CountsE2E", "counts", COUNTS,
    ),
    "zones/usa/breaking.yaml": _workspace(
        "Breaking", "MaskedE2E.customers_masked", "break_counts", "{external: true}", "broken",
        "BrokenE2E", "counts", COUNTS,
    ),
}  # fmt: skip
