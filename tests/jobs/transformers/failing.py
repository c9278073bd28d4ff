"""A transformer that fails with exit status 3 after saying why."""

import sys


def main() -> int:
    """Say why, and fail."""
    print("reading the workspace")
    print("cannot write the output: out of luck", file=sys.stderr)
    return 3
