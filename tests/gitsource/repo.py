"""A real git repository of model files, made by the tests, and signed webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.ecosystem.modeltext import BASE

PAYLOADS = Path(__file__).with_name("payloads")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alice",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class ModelRepo:
    """A working repository whose `main` branch holds a model under `subdir`."""

    def __init__(self, path: Path, subdir: str = ".") -> None:
        self.path = path
        self.subdir = subdir
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        """Run git in the repository; its output."""
        done = subprocess.run(
            ["git", *args], cwd=self.path, env={**os.environ, **GIT_ENV},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    def commit(self, files: dict[str, str | None], message: str = "change the model") -> str:
        """Write (or, for None, delete) model files, commit them all; the new commit's sha."""
        root = self.path / self.subdir
        for name, text in files.items():
            target = root / name
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def commit_base(self) -> str:
        """Commit the small valid model of tests.ecosystem.modeltext."""
        return self.commit(dict(BASE), "the model")


def labelled(n: int) -> dict[str, str | None]:
    """The customers datastore with a label: a valid model whose content differs by n."""
    text = BASE["zones/usa/customers.yaml"].replace(
        "  team: FrontOffice\n", f"  team: FrontOffice\n  labels: {{v: '{n}'}}\n"
    )
    return {"zones/usa/customers.yaml": text}


BROKEN: dict[str, str | None] = {
    "zones/usa/broken.yaml": "apiVersion: ecoplane.io/v1\nkind: Nonsense\n"
}


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A stored webhook payload (real shape) with top-level fields replaced."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    loaded.update(changes)
    return loaded


def push_payload(
    host: str, after: str, branch: str = "main", repo: str = "acme/data-model"
) -> bytes:
    """A push event of the host for a commit, as the bytes it would send."""
    body = payload(f"{host}_push", after=after, ref=f"refs/heads/{branch}")
    if host == "gitlab":
        body["checkout_sha"] = after
        body["project"]["path_with_namespace"] = repo
    else:
        body["repository"]["full_name"] = repo
    return json.dumps(body).encode()


def signed_headers(
    host: str, body: bytes, secret: str, delivery: str, event: str | None = None
) -> dict[str, str]:
    """The headers the host sends with a delivery, signed with the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    common = {"Content-Type": "application/json"}
    if host == "github":
        return {**common, "X-GitHub-Event": event or "push", "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": f"sha256={digest}"}  # fmt: skip
    if host == "gitea":
        return {**common, "X-Gitea-Event": event or "push", "X-Gitea-Delivery": delivery,
                "X-Gitea-Signature": digest}  # fmt: skip
    return {**common, "X-Gitlab-Event": event or "Push Hook", "X-Gitlab-Event-UUID": delivery,
            "X-Gitlab-Token": secret}  # fmt: skip
