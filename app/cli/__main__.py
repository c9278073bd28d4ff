"""`python -m app.cli`: the same as the `ecoplane` command."""

import sys

from app.cli import main

sys.exit(main())
