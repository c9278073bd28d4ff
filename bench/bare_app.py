"""The baseline of bench/api.py: a bare FastAPI app answering a constant JSON, nothing else.

.venv/bin/python -m uvicorn bare_app:app --app-dir bench --port 8001 --no-access-log
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """The same answer as the service's /healthz."""
    return {"status": "ok"}
