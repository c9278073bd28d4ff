"""The command table: `--help` lists every command without importing the server stack."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
SERVER_STACK = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "alembic", "kubernetes_asyncio")
MODULES_LOADED = """
import json, sys
from app.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
stack = {stack!r}
print(json.dumps({{"status": status, "loaded": [m for m in stack if m in sys.modules]}}))
"""


def _registered(module: str) -> dict[str, str | None]:
    """The commands a module registers, with their help."""
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    importlib.import_module(f"app.cli.{module}").register(commands)
    helps = {action.dest: action.help for action in commands._choices_actions}
    return {name: helps.get(name) for name in commands.choices}


def test_the_table_names_each_modules_commands_with_their_help() -> None:
    for module in {owner for owner, _ in COMMANDS.values()}:
        in_table = {name: text for name, (owner, text) in COMMANDS.items() if owner == module}
        assert _registered(module) == in_table, module


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    listed = {m.group(1) for m in re.finditer(r"^    (\S+)", out, re.MULTILINE)}
    assert listed == set(COMMANDS)


def test_a_misspelt_command_is_refused_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validat", "x"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'validat'" in err and "validate" in err


def _modules_loaded(*argv: str) -> dict[str, object]:
    code = MODULES_LOADED.format(stack=SERVER_STACK)
    run = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, check=True
    )
    result: dict[str, object] = json.loads(run.stdout.splitlines()[-1])
    return result


def test_help_and_validate_do_not_import_the_server_stack() -> None:
    assert _modules_loaded("--help") == {"status": 0, "loaded": []}
    acme = str(ROOT / "examples" / "acme")
    assert _modules_loaded("validate", acme) == {"status": 0, "loaded": []}


def test_the_seed_defaults_shown_are_the_seeders() -> None:
    from app.cli import model_commands
    from app.examples import seeder

    assert (model_commands.DEFAULT_ROWS, model_commands.DEFAULT_SEED) == (
        seeder.DEFAULT_ROWS,
        seeder.DEFAULT_SEED,
    )
