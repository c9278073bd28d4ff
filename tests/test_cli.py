"""The `ecoplane` command line: exit codes, output formats, schema, example generation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "examples" / "acme"

BROKEN = """\
apiVersion: ecoplane.io/v1
kind: Ecosystem
metadata: {name: Tiny}
spec:
  classifications: [pub]
  platforms: [{name: Lake, dataPlatforms: [{name: LakeLive, retention: live-only}]}]
  zones: [{name: Z}]
---
apiVersion: ecoplane.io/v1
kind: GovernanceZone
metadata: {name: Z}
spec:
  teams: [{name: T}]
---
apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: T, zone: Z}
---
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Store, zone: Z, team: T}
spec:
  datasets:
    - name: items
      columns:
        - {name: id, type: bigint, primaryKey: true}
        - {name: price, type: money}
"""


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.yaml").write_text(text)
    return directory


def test_validate_acme_exits_zero_with_no_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ACME)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "0 error(s), 0 warning(s)" in err


def test_validate_text_names_file_line_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _write(tmp_path / "m", BROKEN)
    assert main(["validate", str(model)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "model.yaml:27:31: error invalid-column-type: column 'price' has type 'money', which does not "
        "parse (unknown type 'money'); accepted: " + out[0].split("accepted: ")[1]
    ]


def test_validate_json_counts_and_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _write(tmp_path / "m", BROKEN)
    assert main(["validate", str(model), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 1 and report["warnings"] == 0
    (problem,) = report["problems"]
    assert problem["code"] == "invalid-column-type"
    assert (problem["file"], problem["line"], problem["column"]) == ("model.yaml", 27, 31)
    assert problem["path"] == "Datastore/Store/datasets/items/columns/price"
    assert problem["severity"] == "error"


def test_unreadable_model_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "empty")]) == 2
    assert "no *.yaml or *.yml files" in capsys.readouterr().err


def test_diff_exits_one_on_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old", BROKEN.replace("money", "text") + SINK)
    new = _write(
        tmp_path / "new", BROKEN.replace("        - {name: price, type: money}\n", "") + SINK
    )
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["breaking"] == 1
    (change,) = report["changes"]
    assert change["path"] == "Datastore/Store/datasets/items/columns/price"
    assert change["affectedWorkspaces"] == ["Reader"]
    assert main(["diff", str(old), str(old)]) == 0
    assert "0 change(s), 0 breaking" in capsys.readouterr().err


SINK = """\
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Reader, zone: Z, team: T}
spec:
  datasetGroups:
    - name: main
      platform: {name: LakeLive}
      sinks: [{datastore: Store, dataset: items}]
"""


def test_schema_describes_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in schema["oneOf"]}
    assert kinds == {
        "EcosystemDocument",
        "GovernanceZoneDocument",
        "TeamDocument",
        "DatastoreDocument",
        "WorkspaceDocument",
    }
    column = schema["$defs"]["Column"]
    assert column["additionalProperties"] is False
    assert {"name", "type", "primaryKey", "nullable"} <= set(column["properties"])


def test_generate_is_deterministic_and_valid(tmp_path: Path) -> None:
    size = ["--datastores", "12", "--datasets-per-datastore", "3", "--columns-per-dataset", "5"]
    size += [
        "--workspaces",
        "9",
        "--sinks-per-workspace",
        "11",
        "--transformers",
        "4",
        "--seed",
        "3",
    ]
    assert main(["example", "generate", str(tmp_path / "a"), *size]) == 0
    assert main(["example", "generate", str(tmp_path / "b"), *size]) == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.yaml"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.yaml"))
    assert files_a == files_b and len(files_a) > 12 + 9
    assert all(
        (tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text() for f in files_a
    )
    assert main(["validate", str(tmp_path / "a")]) == 0
    assert main(["example", "generate", str(tmp_path / "c"), *size[:-1], "4"]) == 0
    differs = any(
        (tmp_path / "a" / f).read_text() != (tmp_path / "c" / f).read_text() for f in files_a
    )
    assert differs, "another seed gives another model"


def test_console_script_runs_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "validate", str(ACME), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["errors"] == 0


def test_generate_refuses_more_transformers_than_workspaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["example", "generate", str(tmp_path), "--workspaces", "2", "--transformers", "3"])
        == 2
    )
    assert "--transformers may not exceed --workspaces" in capsys.readouterr().err
    assert not (tmp_path / "ecosystem.yaml").exists()


def test_generate_with_empty_datastores_still_writes_a_valid_model(tmp_path: Path) -> None:
    assert main(["example", "generate", str(tmp_path), "--datasets-per-datastore", "0"]) == 0
    assert main(["validate", str(tmp_path)]) == 0


def test_diff_says_when_a_model_has_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old", BROKEN.replace("money", "text") + SINK)
    new = _write(tmp_path / "new", BROKEN + SINK)
    main(["diff", str(old), str(new), "--format", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["oldErrors"], report["newErrors"]) == (0, 1)
    assert "NEW has 1 validation error(s)" in err


def test_a_closed_pipe_ends_quietly_with_the_real_status(tmp_path: Path) -> None:
    assert main(["example", "generate", str(tmp_path), "--datastores", "300"]) == 0
    for path in tmp_path.rglob("store_*.yaml"):  # about 1,200 errors: more than a pipe buffers
        path.write_text(path.read_text().replace("classification: [", "classification: [zz, "))
    reader = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "validate", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert "unknown-classification" in reader.stdout.readline()
    reader.stdout.close()  # like `| head -1`
    assert reader.wait(timeout=60) == 1
    assert "Traceback" not in reader.stderr.read()


AT_EXIT = (
    "import atexit, sys; from app.cli import command; "
    "atexit.register(lambda: print('exit handlers ran', file=sys.stderr)); "
    "sys.argv = ['ecoplane', *sys.argv[1:]]; command()"
)


def test_the_process_ends_without_freeing_the_model_yet_says_everything(tmp_path: Path) -> None:
    """After validate or diff, the `ecoplane` process ends at once (exit handlers, which a
    normal exit runs after freeing the model, do not run); its report and status are whole."""
    broken = _write(tmp_path / "broken", BROKEN)
    runs = {
        "validate": ["validate", str(broken)],
        "diff": ["diff", str(ACME), str(broken), "--format", "json"],
        "schema": ["schema"],  # no model held: it ends as usual
    }
    ended = {
        name: subprocess.run(
            [sys.executable, "-c", AT_EXIT, *args], capture_output=True, text=True, check=False
        )
        for name, args in runs.items()
    }
    validate, diff, schema = ended["validate"], ended["diff"], ended["schema"]
    assert validate.returncode == 1
    assert "invalid-column-type" in validate.stdout
    assert validate.stderr.endswith("1 error(s), 0 warning(s)\n")
    assert json.loads(diff.stdout)["newErrors"] == 1
    assert "exit handlers ran" not in validate.stderr + diff.stderr
    assert schema.returncode == 0 and "exit handlers ran" in schema.stderr
