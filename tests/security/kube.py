"""The Kubernetes test double for Secrets, judged by deploy/'s admission policy, and a store on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.security.secrets.kubernetes import KubernetesSecretStore
from tests.deploy.admission import admits
from tests.jobs.kube_double import KubeDouble

POLICY = Path(__file__).parents[2] / "deploy" / "base" / "secret-writes-policy.yaml"
SYNC_ACCOUNT = "system:serviceaccount:ecoplane:ecoplane-security-sync"
NAMESPACE = "ecoplane"


def admission() -> Any:
    """The deployed ValidatingAdmissionPolicy, judging writes as the security sync's account."""
    policy = next(d for d in yaml.safe_load_all(POLICY.read_text()) if d["kind"].endswith("Policy"))
    return lambda operation, secret: admits(policy, operation, SYNC_ACCOUNT, secret)


@asynccontextmanager
async def kube_store_on(directory: Path) -> AsyncIterator[tuple[KubernetesSecretStore, KubeDouble]]:
    """The double on 127.0.0.1 and a store reaching it by its kubeconfig; both stopped after."""
    double = KubeDouble(directory, admission=admission())
    kubeconfig = await double.start()
    store = KubernetesSecretStore(NAMESPACE, kubeconfig, timeout=10)
    try:
        yield store, double
    finally:
        await store.close()
        await double.stop()


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[tuple[KubernetesSecretStore, KubeDouble]]:
    """A Kubernetes secret store and the double it talks to."""
    async with kube_store_on(tmp_path) as pair:
        yield pair
