"""docs/configuration.md, generated from the Settings class: `python -m app.settings_doc`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from app.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
HEADER = """\
# Configuration

Every setting of ecoplane is an environment variable prefixed `ECOPLANE_`; none is needed for
the embedded default (`make run`). In Kubernetes the non-secret ones are in the ConfigMap
`ecoplane-config` and the secret ones come from the Secrets `ecoplane-admin` and `ecoplane-api`
(see [deploy.md](deploy.md)).

This file is generated from `app/settings.py` by `python -m app.settings_doc`; a test fails
when it is out of date.

| variable | default | meaning |
| --- | --- | --- |
"""


def environment_name(field: str) -> str:
    """The environment variable of a settings field."""
    return f"ECOPLANE_{field.upper()}"


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The whole document: one row per setting, in the order of the class."""
    rows = [
        f"| `{environment_name(name)}` | {_default(info)} | {_cell(info.description or '')} |"
        for name, info in Settings.model_fields.items()
    ]
    return HEADER + "\n".join(rows) + "\n"


def main() -> int:
    """Write docs/configuration.md (or print it with `-`)."""
    if sys.argv[1:] == ["-"]:
        sys.stdout.write(markdown())
    else:
        DOC.write_text(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
