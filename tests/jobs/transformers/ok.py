"""A transformer that succeeds: prints the contract's variables it received (its password too,
which the runner masks in the recorded log)."""

import os


def main() -> None:
    """Print the variables of the contract (the password too: the runner must mask it)."""
    for name in (
        "ECOPLANE_RUN_ID",
        "ECOPLANE_TRANSFORMER",
        "ECOPLANE_WORKSPACE",
        "ECOPLANE_INPUT_SCHEMA",
        "ECOPLANE_OUTPUT_SCHEMA",
        "PGUSER",
        "PGPASSWORD",
    ):
        print(f"{name}={os.environ.get(name, '')}")
    print("done")
