"""`python -m workers.externalize_model`: write the active model version into the warehouse.

Exit 0 when exported, 1 when the export failed (nothing was changed), 2 when it is not
configured (ECOPLANE_MODEL_DATABASE_URL unset).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

import asyncpg

from app.ecosystem.builtins import EXPORT_TRANSFORMER
from app.logs import configure_logging
from app.security.names import output_schema
from workers.externalize_model.export import ExportError, export_model

MODEL_URL = "ECOPLANE_MODEL_DATABASE_URL"
EXIT_OK, EXIT_FAILED, EXIT_UNCONFIGURED = 0, 1, 2
log = logging.getLogger("ecoplane.externalize_model")


def main() -> int:
    """Export once; print what was written as JSON."""
    configure_logging()
    url = os.environ.get(MODEL_URL)
    if not url:
        return _fail(
            f"{MODEL_URL} is not set: it is the URL of the control-plane database as the"
            " read-only role ecoplane_dashboard (secret ecoplane-dashboard, key database-url)",
            EXIT_UNCONFIGURED,
        )
    schema = os.environ.get("ECOPLANE_OUTPUT_SCHEMA") or output_schema(EXPORT_TRANSFORMER)
    try:
        exported = asyncio.run(export_model(url, schema))
    except ExportError as error:
        return _fail(str(error), EXIT_FAILED)
    except asyncpg.PostgresError as error:  # e.g. a privilege the security sync has not granted
        return _fail(f"{type(error).__name__}: {error}; nothing was changed", EXIT_FAILED)
    total = sum(exported.rows.values())
    log.info(
        "exported model version %s into %s: %s rows in %s tables",
        exported.version_id, schema, total, len(exported.rows),
        extra={"modelVersion": exported.version_id, "rows": total},
    )  # fmt: skip
    summary = {"modelVersion": exported.version_id, "outputSchema": schema, "rows": exported.rows}
    print(json.dumps(summary, indent=2))
    return EXIT_OK


def _fail(reason: str, status: int) -> int:
    log.error("externalize_model failed: %s", reason)
    print(f"externalize_model failed: {reason}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
