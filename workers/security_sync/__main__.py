"""Run the security sync once: exit 0 converged or applied, 1 failure, 2 `--check` found changes.

Without a mode it applies: that is what a security-sync run started by the jobs runner does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from app.logs import configure_logging
from app.security.command import Mode, run_security
from app.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the mode and run it against the configured warehouse."""
    parser = argparse.ArgumentParser(prog="python -m workers.security_sync", description=__doc__)
    modes = parser.add_mutually_exclusive_group()
    for name in ("check", "plan", "apply"):
        modes.add_argument(f"--{name}", dest="mode", action="store_const", const=name)
    parser.set_defaults(mode="apply")
    parser.add_argument(
        "--force", action="store_true", help="drop more roles than the guard allows"
    )
    args = parser.parse_args(argv)
    configure_logging()
    mode: Mode = args.mode
    return asyncio.run(run_security(mode, Settings(), force=args.force))


if __name__ == "__main__":
    sys.exit(main())
