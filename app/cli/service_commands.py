"""Commands of the service: serve, openapi."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.output import EXIT_OK, Commands, note, output
from app.logs import configure_logging
from app.settings import Settings

OPENAPI = Path("openapi/openapi.json")


def register(commands: Commands) -> None:
    """Add serve and openapi."""
    serve = commands.add_parser("serve", help="run the service (embedded database by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=_serve)
    spec = commands.add_parser("openapi", help=f"write the OpenAPI document (default {OPENAPI})")
    spec.add_argument("--output", type=Path, default=OPENAPI, help="a file, or - for stdout")
    spec.set_defaults(handler=_openapi)


def _serve(args: argparse.Namespace) -> int:
    configure_logging()
    settings = Settings()
    from app.events.formats import FORMATS
    from app.events.subscriptions import configured

    configured(settings, list(FORMATS))  # a bad ECOPLANE_NOTIFY stops here, before any server
    if settings.embedded:  # its start overlaps the imports below; the lifespan joins it
        from app.db.embedded import begin_embedded

        begin_embedded(settings.data_dir)
    import uvicorn

    from app.main import create_app

    # our middleware logs every request with its id: uvicorn's own access log would repeat it
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
    return EXIT_OK


def openapi_document() -> str:
    """The app's OpenAPI document, with a stable key order."""
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    document = openapi_document()
    if str(args.output) == "-":
        output([document.rstrip("\n")])
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(document)
        note(f"wrote {args.output}")
    return EXIT_OK
