"""The end-to-end model: BASE plus a chain of python transformers under tests/e2e/transformers."""

from __future__ import annotations

from tests.jobs.model import workspace


def _python(module: str) -> str:
    return f"{{python: {{module: tests.e2e.transformers.{module}}}}}"


def _step(name: str, sink: str, transformer: str, trigger: str, module: str, output: str,
          dataset: str, column: str) -> str:  # fmt: skip
    """A workspace sinking one dataset, its transformer writing one pc1 dataset."""
    sinks = [(sink.partition(".")[0], sink.partition(".")[2])]
    return workspace(
        name, sinks, transformer, trigger, _python(module), output, "    timeoutSeconds: 120\n",
        dataset=dataset, columns=(column,), classification="pc1",
    )  # fmt: skip


CHAIN: dict[str, str | None] = {
    "zones/usa/masking.yaml": _step(
        "Masking", "Customers.customers", "mask_customers", "{external: true}", "mask",
        "MaskedE2E", "customers_masked", "email_hash: char(64)",
    ),
    "zones/usa/counting.yaml": _step(
        "Counting", "MaskedE2E.customers_masked", "count_masked", "{onInputChange: true}",
        "count", "CountsE2E", "counts", "customers: bigint",
    ),
    "zones/usa/breaking.yaml": _step(
        "Breaking", "MaskedE2E.customers_masked", "break_counts", "{external: true}", "broken",
        "BrokenE2E", "counts", "customers: bigint",
    ),
}  # fmt: skip
