"""The aws overlay's IAM documents: least privilege on the configured prefix, and a trust
policy that lets only the security sync's service account assume the role (IRSA)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.conftest import DEPLOY, find
from tests.deploy.hardening import NAMESPACE
from tests.deploy.iam import credentials_arn, policy_problems
from tests.deploy.kustomize import Obj

IAM = DEPLOY / "overlays" / "aws" / "iam"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((IAM / name).read_text())
    return document


def _role_arn(rendered: dict[str, list[Obj]]) -> str:
    account = find(rendered["aws"], "ServiceAccount", "ecoplane-security-sync")
    return str(account["metadata"]["annotations"][ROLE_ANNOTATION])


def _allowed(rendered: dict[str, list[Obj]]) -> str:
    config = find(rendered["aws"], "ConfigMap", "ecoplane-config")["data"]
    account = _role_arn(rendered).split(":")[4]
    return credentials_arn(config["AWS_REGION"], account, config["ECOPLANE_SECRET_PREFIX"])


def test_the_policy_names_only_the_configured_prefix(rendered: dict[str, list[Obj]]) -> None:
    policy = _load("security-sync-policy.json")
    assert policy_problems(policy, _allowed(rendered)) == []
    granted = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert granted == {
        f"secretsmanager:{name}"
        for name in (
            "CreateSecret",
            "GetSecretValue",
            "PutSecretValue",
            "UpdateSecret",
            "UpdateSecretVersionStage",
            "DeleteSecret",
            "DescribeSecret",
            "TagResource",
            "ListSecrets",
        )
    }


@pytest.mark.parametrize(
    ("statement", "reported"),
    [
        ({"Action": "secretsmanager:GetSecretValue", "Resource": "*"}, "resource *"),
        (
            {
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:*",
            },
            "resource",
        ),
        (
            {
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:other/transformers/*",
            },
            "resource",
        ),
        ({"Action": "secretsmanager:*", "Resource": "*"}, "action secretsmanager:*"),
        ({"Action": "*", "Resource": "*"}, "action *"),
        ({"Action": "kms:Decrypt", "Resource": "*"}, "action kms:Decrypt"),
        (
            {
                "Action": ["secretsmanager:ListSecrets", "secretsmanager:GetSecretValue"],
                "Resource": "*",
            },
            "resource *",
        ),
        ({"NotAction": "iam:*", "Resource": "*"}, "Not*"),
    ],
)
def test_the_policy_check_catches_a_broader_grant(
    rendered: dict[str, list[Obj]], statement: dict[str, Any], reported: str
) -> None:
    policy = _load("security-sync-policy.json")
    policy["Statement"].append({"Sid": "Broader", "Effect": "Allow", **statement})
    problems = policy_problems(policy, _allowed(rendered))
    assert problems and all(p.startswith("Broader:") for p in problems)
    assert any(reported in p for p in problems), problems


def test_only_the_security_sync_service_account_assumes_the_role(
    rendered: dict[str, list[Obj]],
) -> None:
    trust = _load("security-sync-trust-policy.json")
    [statement] = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    provider = statement["Principal"]["Federated"].split("oidc-provider/", 1)[1]
    conditions = statement["Condition"]["StringEquals"]
    assert conditions == {
        f"{provider}:sub": f"system:serviceaccount:{NAMESPACE}:ecoplane-security-sync",
        f"{provider}:aud": "sts.amazonaws.com",
    }
    account = _role_arn(rendered).split(":")[4]
    assert statement["Principal"]["Federated"].startswith(f"arn:aws:iam::{account}:")
    assert _role_arn(rendered).endswith(":role/ecoplane-security-sync")


def test_only_the_security_sync_carries_an_iam_role(rendered: dict[str, list[Obj]]) -> None:
    annotated = {
        o["metadata"]["name"]
        for o in rendered["aws"]
        if o["kind"] == "ServiceAccount" and ROLE_ANNOTATION in o["metadata"].get("annotations", {})
    }
    assert annotated == {"ecoplane-security-sync"}
    assert not [
        o for o in rendered["local"] if ROLE_ANNOTATION in o["metadata"].get("annotations", {})
    ]
