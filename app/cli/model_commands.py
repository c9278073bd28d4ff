"""Commands on model directories: validate, diff, schema, example generation and seeding."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.output import ENDING, EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE, Commands, output
from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.limits import ModelLimits, limits_of
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.settings import Settings

if TYPE_CHECKING:
    from app.examples.seeder import SeedReport

# The seeder's defaults (app/examples/seeder.py imports the database drivers, which only
# `example seed-warehouse` needs; tests/test_cli_commands.py checks they agree).
DEFAULT_ROWS, DEFAULT_SEED = 200, 42

EXAMPLE_MODEL = Path(__file__).resolve().parents[2] / "examples" / "acme"

GENERATOR_HELP = {
    "datastores": "ingested datastores",
    "datasets_per_datastore": "datasets in each datastore",
    "columns_per_dataset": "columns in each dataset, the primary key included",
    "workspaces": "workspaces",
    "sinks_per_workspace": "sinks in each workspace, in dataset groups of 8",
    "transformers": "workspaces (the first ones) that have a transformer; at most --workspaces",
    "seed": "random seed: the same seed writes the same model",
}


def register(commands: Commands) -> None:
    """Add validate, diff, schema and example generate."""
    validate = commands.add_parser("validate", help="load and validate a model directory")
    validate.add_argument("directory", type=Path, help="the model root")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(handler=_validate)
    diff = commands.add_parser("diff", help="list the changes between two model directories")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(handler=_diff)
    schema = commands.add_parser("schema", help="print the JSON Schema of model documents")
    schema.set_defaults(handler=_schema)
    example = commands.add_parser("example", help="example models")
    example_commands = example.add_subparsers(dest="example_command", required=True)
    generate = example_commands.add_parser(
        "generate", help="write a synthetic, valid model of any size"
    )
    generate.add_argument("out", type=Path, help="directory to write the model into")
    for name, default in GeneratorSize.defaults().items():
        generate.add_argument(
            f"--{name.replace('_', '-')}",
            type=_count,
            default=default,
            dest=name,
            metavar="N",
            help=f"{GENERATOR_HELP[name]} (default {default})",
        )
    generate.set_defaults(handler=_generate)
    register_seed(example_commands)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def loaded(directory: Path) -> Model:
    """The model under a directory, loaded for a command that ends soon after.

    Its objects (~2 million at 2,000 datastores) are frozen out of the collector's sight: the
    first collection after a load would otherwise walk them all (1.2 s CPU) and find nothing.
    The collector stays off until then: the load turns it on again as it ends, and the next
    allocation would start that collection before the model could be frozen (0.35 s).
    """
    gc.disable()
    try:
        model = load_directory(directory, _limits())
        gc.freeze()
    finally:
        gc.enable()
    return model


def _limits() -> ModelLimits:
    """The model limits of the settings (ECOPLANE_MAX_FILE_BYTES, _MODEL_BYTES, _MODEL_NODES)."""
    return limits_of(Settings())


def _validate(args: argparse.Namespace) -> int:
    model = loaded(args.directory)
    ENDING.keep(model)  # not freed object by object: the process ends after the report
    if args.format == "json":
        output([json.dumps(problem_report(model), indent=2)])
    else:
        output(problem.as_line() for problem in model.problems)
        print(f"{model.errors} error(s), {model.warnings} warning(s)", file=sys.stderr)
    return EXIT_PROBLEMS if model.errors else EXIT_OK


def problem_report(model: Model) -> dict[str, object]:
    """The JSON report of a validation."""
    return {
        "errors": model.errors,
        "warnings": model.warnings,
        "problems": [p.as_dict() for p in model.problems],
    }


def _diff(args: argparse.Namespace) -> int:
    old, new = loaded(args.old), loaded(args.new)
    ENDING.keep((old, new))  # not freed object by object: the process ends after the report
    from app.ecosystem.diff import diff_models

    changes = diff_models(old, new)
    breaking = sum(1 for c in changes if c.severity == "breaking")
    for label, model, where in (("OLD", old, args.old), ("NEW", new, args.new)):
        if model.errors:
            print(
                f"ecoplane: {label} has {model.errors} validation error(s): documents that failed "
                f"to load look removed; see `ecoplane validate {where}`",
                file=sys.stderr,
            )
    if args.format == "json":
        report = {"breaking": breaking, "oldErrors": old.errors, "newErrors": new.errors}
        output([json.dumps({**report, "changes": [c.as_dict() for c in changes]}, indent=2)])
    else:
        output(change.as_line() for change in changes)
        print(f"{len(changes)} change(s), {breaking} breaking", file=sys.stderr)
    return EXIT_PROBLEMS if breaking else EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from app.ecosystem.spec.documents import json_schema

    output([json.dumps(json_schema(), indent=2, sort_keys=True)])
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    size = GeneratorSize(**{name: getattr(args, name) for name in GeneratorSize.defaults()})
    if size.transformers > size.workspaces:
        print("ecoplane: --transformers may not exceed --workspaces", file=sys.stderr)
        return EXIT_UNREADABLE
    written = generate_model(args.out, size)
    print(f"wrote {written} files to {args.out}", file=sys.stderr)
    return EXIT_OK


def register_seed(examples: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `example seed-warehouse`."""
    seed = examples.add_parser(
        "seed-warehouse",
        help="fill the raw tables of a model's ingested datastores with realistic rows",
        description="Creates schema raw and each raw.<datastore>__<dataset> table when missing "
        "and replaces their rows (one transaction) in the warehouse of the settings "
        "(ECOPLANE_WAREHOUSE_URL, else database `warehouse` beside the control plane).",
    )
    seed.add_argument("--model", type=Path, default=EXAMPLE_MODEL, metavar="DIR",
                      help="the model directory (default: examples/acme)")  # fmt: skip
    seed.add_argument("--rows", type=_count, default=DEFAULT_ROWS, metavar="N",
                      help=f"rows per dataset (default {DEFAULT_ROWS})")  # fmt: skip
    seed.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                      help=f"random seed: the same seed writes the same rows on a day (default {DEFAULT_SEED})")  # fmt: skip
    seed.set_defaults(handler=_seed_warehouse)


def _seed_warehouse(args: argparse.Namespace) -> int:
    model = loaded(args.model)
    if model.errors:
        print(f"ecoplane: {args.model} has {model.errors} validation error(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    import asyncio  # here: the model commands do not pay for it (60 ms)

    report = asyncio.run(_seed(model, args.rows, args.seed))
    print(f"seeded {len(report.tables)} raw tables with {report.rows} rows "
          f"({len(report.created)} tables created)", file=sys.stderr)  # fmt: skip
    return EXIT_OK


async def _seed(model: Model, rows: int, seed: int) -> SeedReport:
    from app.examples.seeder import seed_warehouse
    from app.security.warehouses.postgres_connection import warehouse_url

    url = await warehouse_url(Settings())
    return await seed_warehouse(url, model, rows, seed)
