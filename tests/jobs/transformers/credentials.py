"""A transformer that shows what it was given: the names of its variables, a digest of each
credential, and (carelessly) its password and the database URL it got, if any."""

import hashlib
import os


def main() -> None:
    """Print what the run was given."""
    print("variables=" + ",".join(sorted(os.environ)))
    for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
        value = os.environ.get(name)
        digest = hashlib.sha256(value.encode()).hexdigest() if value is not None else None
        print(f"{name} sha256={digest}")
    print(f"PGUSER={os.environ.get('PGUSER')}")
    print(f"the password is {os.environ.get('PGPASSWORD')}!")
    print(f"the model database is {os.environ.get('ECOPLANE_MODEL_DATABASE_URL')}")
