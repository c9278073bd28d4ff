"""The desired state and the plan as data, warehouse-neutral: no database, no SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.ecosystem.model import Model
from app.security.actual import Actual, RoleState
from app.security.desired import MEMBER, Desired, Grant, desired_state
from app.security.operations import Privileges, RoleDrop
from app.security.plan import Credentialing, Phase, build_plan
from app.security.raw import ingested
from app.security.secrets.base import SecretInfo

NOW = datetime(2026, 11, 26, tzinfo=UTC)
NO_SECRETS = Credentialing({}, NOW, timedelta(days=90))


def test_desired_state_of_acme(acme_model: Model) -> None:
    desired = desired_state(acme_model)
    assert desired.roles["dt_segment_customers"].login
    assert desired.roles["dt_segment_customers"].connection_limit == 10
    assert not desired.roles["ws_customersegmentation_read"].login
    view = desired.views[("ws_campaignperformance", "customersegments__cardholder_segments")]
    assert (view.source_schema, view.source_table) == (
        "out_segment_customers",
        "cardholder_segments",
    )
    assert view.columns == ("cardholder_id", "segment_code", "scored_at")
    assert (
        Grant("role", "", "ws_customersegmentation_read", "", MEMBER, "dt_segment_customers")
        in desired.grants
    )
    assert (
        Grant("schema", "", "out_segment_customers", "", "CREATE", "dt_segment_customers")
        in desired.grants
    )
    assert not any(g.grantee.startswith("dt_") and g.schema == "raw" for g in desired.grants)
    assert desired.problems == []


def test_an_empty_warehouse_plans_every_object_in_phase_order(acme_model: Model) -> None:
    desired = desired_state(acme_model)
    plan = build_plan(desired, Actual(user="admin"), NO_SECRETS)
    phases = [op.phase for op in plan.operations]
    assert phases == sorted(phases)
    creates = [op for op in plan.operations if op.action == "create role"]
    assert len(creates) == len(desired.roles)
    ingestions = {f"datastore.{s.name}" for s in ingested(acme_model)}
    assert {op.credential for op in creates if op.credential} == (
        set(acme_model.transformers) | ingestions
    )
    assert {op.subject for op in creates} == set(desired.roles.values())
    assert plan.role_drops == 0 and len(plan.pending) == len(desired.views) - _on_outputs(desired)


def _on_outputs(desired: Desired) -> int:
    """Views whose table the plan creates too: outputs, and raw tables of ingested datastores."""
    return sum(
        1 for v in desired.views.values() if (v.source_schema, v.source_table) in desired.tables
    )


def _managed(name: str, login: bool = False, limit: int = -1) -> RoleState:
    return RoleState(name, login, limit, managed=True)


def test_drift_and_obsolete_roles_are_planned_last(acme_model: Model) -> None:
    desired = desired_state(acme_model)
    actual = Actual(user="admin")
    actual.roles = {
        name: _managed(name, spec.login, spec.connection_limit)
        for name, spec in desired.roles.items()
    }
    actual.roles["dt_gone"] = _managed("dt_gone", True, 10)
    actual.roles["analyst"] = RoleState("analyst", True, -1, managed=False)
    actual.grants = {Grant("table", "raw", "x__y", "", "SELECT", "dt_compute_revenue"),
                     Grant("table", "raw", "x__y", "", "SELECT", "analyst")}  # fmt: skip
    inventory = {t: SecretInfo(True, False, NOW) for t in acme_model.transformers}
    inventory["gone"] = SecretInfo(True, False, NOW)
    plan = build_plan(desired, actual, Credentialing(inventory, NOW, timedelta(days=90)))
    revokes = [op.subject for op in plan.operations if op.phase is Phase.REVOKE]
    assert revokes == [
        Privileges((Grant("table", "raw", "x__y", "", "SELECT", "dt_compute_revenue"),))
    ]
    assert plan.operations[-1].action == "drop role" and plan.operations[-1].target == "dt_gone"
    assert plan.operations[-1].subject == RoleDrop("dt_gone", heir="admin")
    assert plan.role_drops == 1 and plan.obsolete_secrets == ["gone"]
    assert all("analyst" not in repr(op) for op in plan.operations)


def test_password_reasons(acme_model: Model) -> None:
    desired = desired_state(acme_model)
    actual = Actual(user="admin")
    actual.roles = {
        name: _managed(name, spec.login, spec.connection_limit)
        for name, spec in desired.roles.items()
    }
    old, young = NOW - timedelta(days=91), NOW - timedelta(days=1)
    inventory = {t: SecretInfo(True, False, young) for t in desired.credentials}
    inventory["compute_revenue"] = SecretInfo(True, False, old)
    inventory["segment_customers"] = SecretInfo(True, True, young)
    del inventory["compute_exposures"]
    plan = build_plan(desired, actual, Credentialing(inventory, NOW, timedelta(days=90)))
    reasons = {op.target: op.reason for op in plan.operations if op.action == "set password"}
    assert reasons == {
        "dt_compute_revenue": "password older than 90 days",
        "dt_segment_customers": "resume an interrupted password change",
        "dt_compute_exposures": "no stored credentials",
    }
    passwords = [op for op in plan.operations if op.credential]
    assert {op.credential for op in passwords} == {
        "compute_revenue",
        "segment_customers",
        "compute_exposures",
    }
