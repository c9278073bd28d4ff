"""A transformer that succeeds: prints the contract's variables it received."""

import os


def main() -> None:
    """Print the variables of the contract."""
    for name in (
        "ECOPLANE_RUN_ID",
        "ECOPLANE_TRANSFORMER",
        "ECOPLANE_WORKSPACE",
        "ECOPLANE_INPUT_SCHEMA",
        "ECOPLANE_OUTPUT_SCHEMA",
        "PGUSER",
    ):
        print(f"{name}={os.environ.get(name, '')}")
    print("done")
