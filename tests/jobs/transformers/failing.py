"""A transformer that fails with exit status 3 after saying why."""

import sys

print("reading the workspace")
print("cannot write the output: out of luck", file=sys.stderr)
sys.exit(3)
