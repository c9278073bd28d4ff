"""What a transformer run is about: its run, workspace, and the schemas it reads and writes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from psycopg import sql

from app.security.names import physical, raw_table

VARIABLES = {
    "run_id": "ECOPLANE_RUN_ID",
    "transformer": "ECOPLANE_TRANSFORMER",
    "workspace": "ECOPLANE_WORKSPACE",
    "input_schema": "ECOPLANE_INPUT_SCHEMA",
    "output_schema": "ECOPLANE_OUTPUT_SCHEMA",
}


class ContextError(ValueError):
    """The environment does not describe a transformer run."""


@dataclass(frozen=True, slots=True)
class TransformerContext:
    """The run a transformer is in, and the physical names of what it reads and writes."""

    run_id: int
    transformer: str
    workspace: str
    input_schema: str  # ws_<workspace>: the views of the workspace's sinks
    output_schema: str  # out_<transformer>: the tables of the output datastore

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TransformerContext:
        """The context the job runner describes in ECOPLANE_* variables."""
        environ = os.environ if environ is None else environ
        missing = [name for name in VARIABLES.values() if not environ.get(name)]
        if missing:
            raise ContextError(
                f"not a transformer run: {', '.join(missing)} not set"
                " (the job runner sets them; set them yourself to run by hand)"
            )
        run_id = environ[VARIABLES["run_id"]]
        if not run_id.isdigit():
            raise ContextError(f"ECOPLANE_RUN_ID must be a number, not {run_id!r}")
        return cls(
            run_id=int(run_id),
            transformer=environ[VARIABLES["transformer"]],
            workspace=environ[VARIABLES["workspace"]],
            input_schema=environ[VARIABLES["input_schema"]],
            output_schema=environ[VARIABLES["output_schema"]],
        )

    def input(self, datastore: str, dataset: str) -> sql.Identifier:
        """The workspace view of a sunk dataset: `<input_schema>.<datastore>__<dataset>`."""
        return sql.Identifier(self.input_schema, raw_table(datastore, dataset))

    def output(self, dataset: str) -> sql.Identifier:
        """The table of an output dataset: `<output_schema>.<dataset>`."""
        return sql.Identifier(self.output_schema, physical(dataset))
