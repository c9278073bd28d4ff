"""Rules on workspaces, their dataset groups and platforms, and transformers
(`validate/workspaces.py`).

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

from tests.ecosystem.validate.base import CASE, ERROR, case, load, single, where


def test_empty_dataset_group() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: []
        """
    )
    assert where(single(model)) == (ERROR, "empty-dataset-group", CASE, 6, 13)


def test_unknown_platform() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowDead}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-platform", CASE, 7, 24)
    assert "declared: YellowHistory, YellowLive" in problem.message


def test_requirement_unmet() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: live
              requirements: {retention: live-only}
              sinks: [{datastore: Customers, dataset: customers}]
            - name: history
              requirements: {retention: forensic, latency: minutes}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    # YellowLive is live-only; the forensic YellowHistory is only hours-fresh
    problem = single(model)
    assert where(problem) == (ERROR, "requirement-unmet", CASE, 10, 21)
    assert "(retention=forensic, latency=minutes)" in problem.message


def _transforming_workspace(name: str, sinks: str, output: str) -> str:
    return f"""\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {{name: {name}, zone: USA, team: Analytics}}
spec:
  datasetGroups:
    - name: main
      platform: {{name: YellowLive}}
      sinks: [{{datastore: {sinks}, dataset: t}}]
  transformer:
    name: {name}T
    trigger: {{onInputChange: true}}
    code: {{python: {{module: acme.{name.lower()}}}}}
    output:
      name: {output}
      datasets: [{{name: t, columns: [{{name: id, type: bigint, primaryKey: true}}]}}]
"""


def test_transformer_cycle_of_two_is_an_error() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Ping, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: PongOut, dataset: t}]
          transformer:
            name: PingT
            trigger: {onInputChange: true}
            code: {python: {module: acme.ping}}
            output:
              name: PingOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Pong, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: PingOut, dataset: t}]
          transformer:
            name: PongT
            trigger: {onInputChange: true}
            code: {python: {module: acme.pong}}
            output:
              name: PongOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "transformer-cycle", CASE, 10, 11)
    assert "PingT → PongT → PingT" in problem.message


def test_transformer_cycle_of_three_is_one_error() -> None:
    model = load(
        {
            "a.yaml": _transforming_workspace("A", "COut", "AOut"),
            "b.yaml": _transforming_workspace("B", "AOut", "BOut"),
            "c.yaml": _transforming_workspace("C", "BOut", "COut"),
        }
    )
    problem = single(model)
    assert where(problem) == (ERROR, "transformer-cycle", "a.yaml", 10, 11)
    assert "AT → BT → CT → AT" in problem.message


def test_transformer_reading_its_own_output_is_allowed() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Loop, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: LoopOut, dataset: t}]
          transformer:
            name: LoopT
            trigger: {onInputChange: true}
            code: {python: {module: acme.loop}}
            output:
              name: LoopOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        """
    )
    assert model.problems == []
    assert model.datastores["LoopOut"].producer == "LoopT"


def test_unknown_builtin_code() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          transformer:
            name: T
            trigger: {external: true}
            code: {builtin: export-everything}
            output: {name: TOut}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-builtin-code", CASE, 8, 21)
    assert "builtins: externalize-model" in problem.message
