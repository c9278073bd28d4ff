"""Bad input never crashes: each case is a clear problem or a clean exit 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.ecosystem.loader import ModelUnreadableError, load_directory, load_texts
from app.ecosystem.model import Model
from app.ecosystem.problems import Problem
from tests.ecosystem.modeltext import BASE


def _write(root: Path, extra: dict[str, str | bytes]) -> Path:
    for name, content in {**BASE, **extra}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def _only(model: Model, file: str) -> Problem:
    found = [p for p in model.problems if p.file == file]
    assert len(found) == 1, found
    return found[0]


def test_binary_file_is_a_problem(tmp_path: Path) -> None:
    model = load_directory(_write(tmp_path, {"blob.yaml": bytes(range(256)) * 8}))
    problem = _only(model, "blob.yaml")
    assert (problem.code, problem.line, problem.column) == ("file-not-text", 1, 1)
    assert "binary" in problem.message


def test_invalid_utf8_is_a_problem_naming_the_offset(tmp_path: Path) -> None:
    model = load_directory(_write(tmp_path, {"latin1.yaml": b"name: caf\xe9\n"}))
    problem = _only(model, "latin1.yaml")
    assert problem.code == "file-not-text"
    assert "offset 9" in problem.message


def test_empty_and_comment_only_files_are_ignored(tmp_path: Path) -> None:
    model = load_directory(_write(tmp_path, {"empty.yaml": "", "notes.yml": "# nothing yet\n"}))
    assert model.problems == []


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    bom = "\ufeff" + BASE["zones/usa/teams.yaml"]
    model = load_directory(_write(tmp_path, {"zones/usa/teams.yaml": bom.encode()}))
    assert model.problems == []


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        previous, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    model = load_directory(_write(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"}))
    problem = _only(model, "bomb.yaml")
    assert problem.code == "yaml-syntax"
    assert "alias" in problem.message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    model = load_directory(_write(tmp_path, {"deep.yaml": "a: " + "[" * 100_000 + "]" * 100_000}))
    problem = _only(model, "deep.yaml")
    assert problem.code == "yaml-syntax"
    assert problem.line == 1 and problem.column > 1


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    root = _write(tmp_path, {})
    with open(root / "huge.yaml", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper
    model = load_directory(root)
    problem = _only(model, "huge.yaml")
    assert problem.code == "file-too-large"
    assert "52428800 bytes" in problem.message


def test_non_string_keys_are_a_problem() -> None:
    text = (
        "apiVersion: ecoplane.io/v1\nkind: Team\nmetadata: {name: X, zone: USA, 1: 2}\nspec: {}\n"
    )
    model = load_texts({**BASE, "odd.yaml": text})
    problem = _only(model, "odd.yaml")
    assert problem.code == "wrong-type"
    assert "key 1 is not a string" in problem.message
    assert problem.line == 3


def test_duplicate_key_is_located(tmp_path: Path) -> None:
    text = "apiVersion: ecoplane.io/v1\nkind: Team\nmetadata: {name: X, zone: USA}\nkind: Team\n"
    model = load_directory(_write(tmp_path, {"dup.yaml": text}))
    problem = _only(model, "dup.yaml")
    assert (problem.code, problem.line, problem.column) == ("yaml-syntax", 4, 1)
    assert "duplicate" in problem.message


def test_syntax_error_is_located_and_other_files_still_checked(tmp_path: Path) -> None:
    bad_zone = "apiVersion: ecoplane.io/v1\nkind: Team\nmetadata: {name: X, zone: Nowhere}\n"
    model = load_directory(
        _write(tmp_path, {"broken.yaml": "a: [1, 2\nb: 3\n", "team.yaml": bad_zone})
    )
    syntax = _only(model, "broken.yaml")
    assert (syntax.code, syntax.line) == ("yaml-syntax", 2)
    assert _only(model, "team.yaml").code == "unknown-zone"


@pytest.mark.parametrize(
    "name",
    ["Robert'); DROP TABLE students;--", 'with "quotes"', "with space", "naïve", "semi;colon", ""],
)
def test_hostile_names_are_invalid_names(name: str) -> None:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    text = (
        "apiVersion: ecoplane.io/v1\nkind: Datastore\n"
        f'metadata: {{name: "{escaped}", zone: USA, team: FrontOffice}}\n'
        "spec:\n  datasets: [{name: d, columns: [{name: id, type: bigint, primaryKey: true}]}]\n"
    )
    model = load_texts({**BASE, "hostile.yaml": text})
    problem = _only(model, "hostile.yaml")
    assert (problem.code, problem.line, problem.column) == ("invalid-name", 3, 18)
    assert repr(name) in problem.message


def test_symlinks_and_hidden_folders_are_skipped(tmp_path: Path) -> None:
    root = _write(tmp_path, {".github/workflows/ci.yaml": "on: push\n", ".gitlab-ci.yml": "x: [\n"})
    os.symlink("/etc/passwd", root / "passwd.yaml")
    os.symlink("/etc", root / "outside")
    model = load_directory(root)
    found = [(p.code, p.file, p.severity.value) for p in model.problems]
    assert found == [
        ("symlink-skipped", "outside", "warning"),
        ("symlink-skipped", "passwd.yaml", "warning"),
    ]


def test_a_file_that_cannot_be_read_is_a_problem_and_the_rest_loads(tmp_path: Path) -> None:
    root = _write(tmp_path, {})
    with socket.socket(socket.AF_UNIX) as listening:  # listed as a file; opening it fails
        listening.bind(str(root / "socket.yaml"))
        model = load_directory(root)
    problem = _only(model, "socket.yaml")
    assert (problem.code, problem.severity.value) == ("file-unreadable", "error")
    assert problem.message == "socket.yaml: No such device or address"
    assert model.errors == 1 and model.datastores  # the other files are read and built


def test_unreadable_directory_raises_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnreadableError, match="not a directory"):
        load_directory(tmp_path / "absent")
    with pytest.raises(ModelUnreadableError, match=r"no \*\.yaml"):
        load_directory(tmp_path)


def test_cli_on_hostile_tree_prints_problems_not_tracebacks(tmp_path: Path) -> None:
    root = _write(
        tmp_path, {"blob.yaml": b"\x00\x01", "list.yaml": "- 1\n- 2\n", "deep.yaml": "[" * 5000}
    )
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "validate", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    codes = sorted(line.split()[2] for line in result.stdout.splitlines())
    assert codes == ["document-not-mapping:", "file-not-text:", "yaml-syntax:"]
