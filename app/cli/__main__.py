"""`python -m app.cli`: the same as the `ecoplane` command."""

from app.cli import command

command()
