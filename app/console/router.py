"""The console's routes under /ui/, its static files, and `/` sending a browser there."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.console import (
    action_pages,
    lineage_pages,
    model_pages,
    overview_pages,
    run_pages,
    search_pages,
    version_pages,
)
from app.console.web import STATIC


def install(app: FastAPI) -> None:
    """Mount the console on the app: /ui/ and its pages, /ui/static/, and / → /ui/."""
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console_static")
    for module in (
        overview_pages, model_pages, lineage_pages, version_pages, run_pages, search_pages,
        action_pages,
    ):  # fmt: skip
        app.include_router(module.router, prefix="/ui", include_in_schema=False)
    root = APIRouter(include_in_schema=False)

    @root.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    app.include_router(root)
