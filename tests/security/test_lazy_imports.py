"""The service loads no client of a store or runner it does not use: with the local runner and
the local secret store (the embedded default) neither boto3 nor kubernetes_asyncio is imported
(~90 MB and ~0.7 s of CPU at every start), nor Alembic (loaded only to migrate)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.security.secrets.factory import secret_store, source_logins
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNUSED = ("boto3", "botocore", "kubernetes_asyncio", "aiohttp", "alembic")
CHILD = f"""
import json, sys
from pathlib import Path
import app.main
from app.resources import job_service  # builds the runner and its secrets, as the service does
from app.security.secrets.factory import secret_store, source_logins
from app.settings import Settings
settings = Settings(database_url="postgresql://unused", data_dir=Path(sys.argv[1]))
secret_store(settings), source_logins(settings)
print(json.dumps(sorted(m for m in {UNUSED!r} if m in sys.modules)))
"""


def test_the_service_with_local_stores_imports_no_cloud_client(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert json.loads(found.stdout) == []


def test_a_chosen_store_is_still_made(tmp_path: Path) -> None:
    kube = Settings(database_url="postgresql://unused", secret_store="kubernetes")
    assert type(secret_store(kube)).__name__ == "KubernetesSecretStore"
    assert type(source_logins(kube)).__name__ == "KubernetesSourceLogins"
    local = Settings(database_url="postgresql://unused", data_dir=tmp_path)
    assert type(secret_store(local)).__name__ == "LocalSecretStore"
