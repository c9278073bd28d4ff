"""`python -m workers.python_transformer MODULE`: run a python-code transformer (docs/transformers.md)."""

from __future__ import annotations

import sys

from workers.python_transformer.harness import main

if __name__ == "__main__":
    sys.exit(main())
