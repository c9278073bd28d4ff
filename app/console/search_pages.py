"""Search (/ui/search?q=): one box over the active version's entities."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.reads import active_reading
from app.console.search import Search
from app.console.web import page, render

router = APIRouter()
SHOWN = 50


def searcher(request: Request) -> Search:
    """The app's one Search (it remembers whether the database has pg_trgm)."""
    state = request.app.state
    if getattr(state, "console_search", None) is None:
        state.console_search = Search()
    found: Search = state.console_search
    return found


@router.get("/search", name="console_search")
@page
async def search(request: Request, q: str = "") -> Response:
    """The best matches for `q`, best first, each linked to its page."""
    read = await active_reading(request)
    hits = []
    if q.strip():
        async with read.connection() as db:
            hits = await searcher(request).find(db, read.version.id, q, SHOWN)
    return render(request, "search.html", q=q, hits=hits)
