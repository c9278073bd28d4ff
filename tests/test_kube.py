"""The Kubernetes client's boundary: the environment's proxy is honoured though read only once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from kubernetes_asyncio import client

from app.kube import api_client, call, request
from tests.jobs.kube_double import KubeDouble


def _kubeconfig(directory: Path, server: str) -> Path:
    path = directory / "kubeconfig"
    cluster = {"name": "c", "cluster": {"server": server}}
    context = {"name": "c", "context": {"cluster": "c", "user": "u", "namespace": "ecoplane"}}
    user = {"name": "u", "user": {"token": "t"}}
    config = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster], "users": [user]}
    path.write_text(json.dumps({**config, "contexts": [context], "current-context": "c"}))
    return path


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A forward proxy that answers every request with an empty JobList and records it."""
    seen: list[dict[str, Any]] = []

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append({"target": str(request.url), "headers": dict(request.headers), "body": body})
        return web.json_response({"kind": "JobList", "metadata": {}, "items": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_calls_go_through_the_proxy_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: tuple[str, list[dict[str, Any]]]
) -> None:
    address, seen = proxy
    api = await _client_behind(address, tmp_path, monkeypatch)
    try:
        for _ in range(2):  # read once, used for every call
            found = await call("listing Jobs", client.BatchV1Api(api).list_namespaced_job, "ns")
            assert found["kind"] == "JobList"
    finally:
        await api.close()
    assert [s["target"] for s in seen] == [
        "http://kubernetes.test:6443/apis/batch/v1/namespaces/ns/jobs"
    ] * 2
    assert all(s["headers"]["Proxy-Authorization"].startswith("Basic ") for s in seen)
    assert all(s["headers"]["Authorization"] == "Bearer t" for s in seen)


async def test_a_server_in_no_proxy_is_reached_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    double = KubeDouble(tmp_path)
    kubeconfig = await double.start()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    api = await api_client(kubeconfig)
    try:
        found = await call("listing Jobs", client.BatchV1Api(api).list_namespaced_job, "ecoplane")
    finally:
        await api.close()
        await double.stop()
    assert found["kind"] == "JobList" and double.calls == {"list-jobs": 1}


async def test_a_call_by_path_sends_its_body_as_json_through_the_proxy_with_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: tuple[str, list[dict[str, Any]]]
) -> None:
    address, seen = proxy
    api = await _client_behind(address, tmp_path, monkeypatch)
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": {"é": "ü"}}}
    try:
        found = await request(
            "creating Job j", api, "POST", "/apis/batch/v1/namespaces/ns/jobs",
            query=[("dryRun", "All"), ("fieldManager", "a b")], body=job, timeout=5,
        )  # fmt: skip
        await request("reading a log", api, "GET", "/api/v1/namespaces/ns/pods/p/log")
    finally:
        await api.close()
    assert found["kind"] == "JobList"
    assert [s["target"] for s in seen] == [
        "http://kubernetes.test:6443/apis/batch/v1/namespaces/ns/jobs?dryRun=All&fieldManager=a+b",
        "http://kubernetes.test:6443/api/v1/namespaces/ns/pods/p/log",
    ]
    assert json.loads(seen[0]["body"]) == job and seen[1]["body"] == b""
    assert seen[0]["headers"]["Content-Type"] == "application/json"
    assert all(s["headers"]["Proxy-Authorization"].startswith("Basic ") for s in seen)
    assert all(s["headers"]["Authorization"] == "Bearer t" for s in seen)


async def _client_behind(
    address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> client.ApiClient:
    """A client of a cluster only the proxy at `address` (with a login) reaches."""
    monkeypatch.setenv("HTTP_PROXY", f"http://squid:secret@{address}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    return await api_client(_kubeconfig(tmp_path, "http://kubernetes.test:6443"))
