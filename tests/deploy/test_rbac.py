"""RBAC: namespace-scoped, no wildcards, exactly the grants each identity needs; Secret writes
narrowed to the transformers' credentials by the admission policy."""

from __future__ import annotations

import pytest

from tests.deploy.admission import admits
from tests.deploy.conftest import OVERLAYS, find
from tests.deploy.hardening import NAMESPACE, rbac_problems
from tests.deploy.kustomize import Obj, copy_of

API = f"system:serviceaccount:{NAMESPACE}:ecoplane-api"
SYNC = f"system:serviceaccount:{NAMESPACE}:ecoplane-security-sync"
CREDENTIALS = {"app.kubernetes.io/managed-by": "ecoplane"}


def _grants(role: Obj) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_wildcard_and_nothing_cluster_wide(rendered: dict[str, list[Obj]], overlay: str) -> None:
    assert rbac_problems(rendered[overlay]) == []


def test_the_api_gets_exactly_what_running_jobs_needs(rendered: dict[str, list[Obj]]) -> None:
    role = find(rendered["aws"], "Role", "ecoplane-api")
    jobs = {("batch", "jobs", v) for v in ("create", "get", "list", "watch", "delete")}
    pods = {("", "pods", v) for v in ("get", "list", "watch")} | {("", "pods/log", "get")}
    secrets = {("", "secrets", v) for v in ("create", "get", "update", "patch", "delete")}
    assert _grants(role) == jobs | pods | secrets
    binding = find(rendered["aws"], "RoleBinding", "ecoplane-api")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "ecoplane-api", "namespace": NAMESPACE}
    ]


def test_the_security_sync_writes_secrets_only_with_the_kubernetes_store(
    rendered: dict[str, list[Obj]],
) -> None:
    local, aws = rendered["local"], rendered["aws"]
    config = {
        name: find(rendered[name], "ConfigMap", "ecoplane-config")["data"] for name in OVERLAYS
    }
    assert config["local"]["ECOPLANE_SECRET_STORE"] == "kubernetes"
    assert {v for _, _, v in _grants(find(local, "Role", "ecoplane-security-sync"))} == {
        "create",
        "get",
        "update",
        "patch",
        "delete",
    }
    assert config["aws"]["ECOPLANE_SECRET_STORE"] == "aws"
    assert not [
        o for o in aws if o["metadata"]["name"] == "ecoplane-security-sync" and "Role" in o["kind"]
    ]


def test_transformers_and_migrations_get_no_kubernetes_token(
    rendered: dict[str, list[Obj]],
) -> None:
    for overlay in OVERLAYS:
        for name in ("ecoplane-transformer", "ecoplane-migrate"):
            account = find(rendered[overlay], "ServiceAccount", name)
            assert account["automountServiceAccountToken"] is False
        bound = {
            s["name"]
            for o in rendered[overlay]
            if o["kind"] == "RoleBinding"
            for s in o["subjects"]
        }
        assert "ecoplane-transformer" not in bound and "ecoplane-migrate" not in bound


def _cluster_role(objects: list[Obj]) -> None:
    objects.append({"kind": "ClusterRole", "metadata": {"name": "x"}, "rules": []})


def _wildcard_verb(objects: list[Obj]) -> None:
    find(objects, "Role", "ecoplane-api")["rules"][0]["verbs"] = ["*"]


def _wildcard_resource(objects: list[Obj]) -> None:
    find(objects, "Role", "ecoplane-api")["rules"][1]["resources"] = ["*"]


def _wildcard_group(objects: list[Obj]) -> None:
    find(objects, "Role", "ecoplane-api")["rules"][0]["apiGroups"] = ["*"]


def _escalate(objects: list[Obj]) -> None:
    find(objects, "Role", "ecoplane-api")["rules"][0]["verbs"].append("escalate")


def _list_secrets(objects: list[Obj]) -> None:
    find(objects, "Role", "ecoplane-api")["rules"][3]["verbs"].append("list")


def _bind_cluster_role(objects: list[Obj]) -> None:
    find(objects, "RoleBinding", "ecoplane-api")["roleRef"]["kind"] = "ClusterRole"


def _foreign_subject(objects: list[Obj]) -> None:
    find(objects, "RoleBinding", "ecoplane-api")["subjects"][0]["namespace"] = "kube-system"


@pytest.mark.parametrize(
    "breakage",
    [
        _cluster_role,
        _wildcard_verb,
        _wildcard_resource,
        _wildcard_group,
        _escalate,
        _list_secrets,
        _bind_cluster_role,
        _foreign_subject,
    ],
)
def test_the_rbac_check_catches_each_widening(
    rendered: dict[str, list[Obj]], breakage: object
) -> None:
    objects = copy_of(rendered["local"])
    breakage(objects)  # type: ignore[operator]
    assert len(rbac_problems(objects)) == 1


def _secret(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"metadata": {"name": name, **({"labels": labels} if labels else {})}}


@pytest.fixture(scope="module")
def policy(rendered: dict[str, list[Obj]]) -> Obj:
    return find(rendered["local"], "ValidatingAdmissionPolicy", "ecoplane-secret-writes")


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE", "DELETE"])
@pytest.mark.parametrize("user", [API, SYNC])
def test_ecoplane_writes_transformer_credentials(policy: Obj, operation: str, user: str) -> None:
    assert admits(policy, operation, user, _secret("ecoplane-dt-compute-exposures", CREDENTIALS))
    assert admits(policy, operation, user, _secret("ecoplane-di-positions", CREDENTIALS))


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE", "DELETE"])
@pytest.mark.parametrize(
    "secret",
    [
        _secret("ecoplane-admin"),  # the database URLs
        _secret("ecoplane-admin", CREDENTIALS),  # a label alone is not enough
        _secret("ecoplane-dt-x"),  # nor the name alone
        _secret("ecoplane-dt-x", {"app.kubernetes.io/managed-by": "helm"}),
        _secret("ecoplane-di-x"),  # an ingestion's, unlabelled
    ],
)
def test_ecoplane_may_not_touch_other_secrets(policy: Obj, operation: str, secret: Obj) -> None:
    assert not admits(policy, operation, API, secret)
    assert not admits(policy, operation, SYNC, secret)


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE", "DELETE"])
def test_the_api_account_writes_source_logins_and_the_sync_does_not(
    policy: Obj, operation: str
) -> None:
    login = _secret("ecoplane-source-crm-reader", CREDENTIALS)
    assert admits(policy, operation, API, login)  # `ecoplane credential set` in the API's pod
    assert not admits(policy, operation, SYNC, login)
    assert not admits(policy, operation, API, _secret("ecoplane-source-crm-reader"))
    assert not admits(policy, operation, API, _secret("ecoplane-sourcex", CREDENTIALS))


def test_other_users_are_not_this_policys_business(policy: Obj) -> None:
    assert admits(policy, "DELETE", "system:serviceaccount:ecoplane:default", _secret("x"))


def test_the_policy_names_the_bound_service_accounts(rendered: dict[str, list[Obj]]) -> None:
    objects = rendered["local"]
    writers = {
        f"system:serviceaccount:{s['namespace']}:{s['name']}"
        for binding in (o for o in objects if o["kind"] == "RoleBinding")
        if ("", "secrets", "create") in _grants(find(objects, "Role", binding["roleRef"]["name"]))
        for s in binding["subjects"]
    }
    assert writers == {API, SYNC}
    policy = find(objects, "ValidatingAdmissionPolicy", "ecoplane-secret-writes")
    for user in writers:
        assert not admits(policy, "CREATE", user, _secret("ecoplane-admin"))
    binding = find(objects, "ValidatingAdmissionPolicyBinding", "ecoplane-secret-writes")
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    selector = binding["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]
    assert selector == {"kubernetes.io/metadata.name": NAMESPACE}
