"""A main() whose return value is the exit status (ECOPLANE_TEST_STATUS, or None)."""

import os


def main() -> int | None:
    """Return the status the test asks for."""
    status = os.environ.get("ECOPLANE_TEST_STATUS")
    print(f"main ran for {os.environ.get('ECOPLANE_TRANSFORMER')}")
    return int(status) if status else None
