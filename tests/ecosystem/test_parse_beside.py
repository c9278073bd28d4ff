"""A large model's files parsed in a forked process while this one builds (`parse_beside.py`):
the same model, problems and hash as when this process parses them; a child that fails hands
the rest back; a model past the node limit is refused with the same message."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from app.ecosystem import forked, parse_beside, sources
from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.limits import ModelLimits, ModelTooLargeError
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model

LIMITS = ModelLimits(max_file_bytes=64 * 1024)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A generated model with files this process refuses or cannot parse among the good ones."""
    generate_model(tmp_path, GeneratorSize(datastores=8, workspaces=6, transformers=2))
    bad = tmp_path / "zones" / "bad"
    bad.mkdir(parents=True)
    (bad / "broken.yaml").write_text("kind: Datastore\nmetadata: {name: [unclosed\n")
    (bad / "binary.yaml").write_bytes(b"kind: \x00Datastore\n")
    (bad / "latin.yaml").write_bytes(b"kind: Datastore\nmetadata: {name: caf\xe9}\n")
    (bad / "huge.yaml").write_text("# " + "x" * 70_000 + "\n")
    return tmp_path


def _load(root: Path, *, beside: bool, limits: ModelLimits = LIMITS) -> Model:
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        forked.append(pid)
        return pid

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "may_parse_beside", lambda text_bytes: beside)
        patch.setattr(os, "fork", fork)
        model = load_directory(root, limits)
    assert len(forked) == (1 if beside else 0)  # the child ended inside os._exit
    return model


def test_the_forked_parser_gives_the_model_this_process_gives(model_dir: Path) -> None:
    here = _load(model_dir, beside=False)
    codes = {p.code for p in here.problems}
    assert {"yaml-syntax", "file-not-text", "file-too-large"} <= codes
    assert sum(not w.builtin for w in here.workspaces.values()) == 6  # what was generated
    forked = _load(model_dir, beside=True)
    assert forked.problems == here.problems
    assert forked.content_hash == here.content_hash
    assert forked == here


def test_a_child_that_fails_hands_the_files_it_did_not_send_back(
    model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    here = _load(model_dir, beside=False)
    real_send = parse_beside._send

    def send_three(files: list[Any], *args: Any) -> None:
        real_send(files[:3], *args)
        raise RuntimeError("the parser died after the third file")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse_beside, "_send", send_three)
        caplog.set_level(logging.WARNING, "ecoplane.model")
        forked = _load(model_dir, beside=True)
    assert forked == here
    [line] = [r.getMessage() for r in caplog.records if "model parser" in r.getMessage()]
    assert "ended after 3 of" in line and "the rest parsed here" in line


def test_a_model_past_the_node_limit_is_refused_as_this_process_refuses_it(
    model_dir: Path,
) -> None:
    limits = ModelLimits(max_file_bytes=64 * 1024, max_model_nodes=2_000)
    with pytest.MonkeyPatch.context() as patch, pytest.raises(ModelTooLargeError) as here:
        patch.setattr(sources, "PARSE_THREADS", 1)  # files counted in path order, as the child
        _load(model_dir, beside=False, limits=limits)
    with pytest.raises(ModelTooLargeError) as forked:
        _load(model_dir, beside=True, limits=limits)
    assert forked.value.detail == here.value.detail
    assert "more than 2000 YAML nodes" in forked.value.detail


def test_only_a_large_model_in_a_process_of_one_thread_is_parsed_beside() -> None:
    threshold = parse_beside.PARSE_BESIDE_BYTES
    assert not parse_beside.may_parse_beside(threshold - 1, threshold)
    alone = threading.active_count() == 1
    assert parse_beside.may_parse_beside(threshold, threshold) == alone == forked.may_fork()
