"""Sink rules in a forked process beside the others (`validate/beside.py`): the same problems,
in the same order, as when every rule runs in this process; a failed child changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.ecosystem.problems import Problem, Problems, Source
from app.ecosystem.validate import validate
from app.ecosystem.validate.beside import beside, may_fork, sink_count


def _broken_sinks(tmp_path: Path) -> Model:
    """A generated model whose workspaces sink some datastores and datasets that do not exist."""
    generate_model(tmp_path, GeneratorSize(datastores=6, workspaces=4, transformers=1))
    for path in sorted(tmp_path.rglob("*.yaml")):
        text = path.read_text()
        if "kind: Workspace" in text:
            path.write_text(text.replace("dataset: ds_00", "dataset: gone_", 2).replace(
                "datastore: store_0000", "datastore: lost_", 1))  # fmt: skip
    return load_directory(tmp_path)


def _rerun(model: Model, sinks_beside: int) -> list[Problem]:
    problems = Problems()
    validate(model, [], problems, sinks_beside=sinks_beside)
    return problems.items


def test_the_forked_sink_rules_find_what_this_process_finds(tmp_path: Path) -> None:
    model = _broken_sinks(tmp_path)
    here = _rerun(model, sinks_beside=10**9)
    codes = {p.code for p in here}
    assert {"sink-unknown-dataset", "sink-unknown-datastore"} <= codes
    assert sink_count(model) > 1 and may_fork(model, 1)
    assert _rerun(model, sinks_beside=1) == here


def _pid_rule(model: Model, problems: Problems) -> None:
    problems.warning("pid", str(os.getpid()), Source("x.yaml"), "x")


def test_the_rules_run_in_another_process_and_come_back(tmp_path: Path) -> None:
    model = _broken_sinks(tmp_path)
    with beside(_pid_rule, model, 1) as found:
        assert found.items == []  # filled when the block ends
    assert [p.code for p in found.items] == ["pid"] and found.items[0].message != str(os.getpid())
    with beside(_pid_rule, model, 10**9) as here:
        pass
    assert here.items[0].message == str(os.getpid())


PARENT = os.getpid()  # the test process


def _failing_rule(model: Model, problems: Problems) -> None:
    if os.getpid() != PARENT:
        os._exit(3)
    _pid_rule(model, problems)


def test_a_failed_child_is_logged_and_its_rules_run_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _broken_sinks(tmp_path)
    with beside(_failing_rule, model, 1) as found:
        pass
    assert found.items[0].message == str(os.getpid())
    assert "ended with 3: run in this process" in caplog.text


def test_an_error_in_the_block_stops_the_child(tmp_path: Path) -> None:
    model = _broken_sinks(tmp_path)
    with pytest.raises(RuntimeError), beside(_pid_rule, model, 1):
        raise RuntimeError("the other rules failed")
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child is left behind
