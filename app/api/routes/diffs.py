"""Changes between versions, and validating a model without storing it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import require

router = APIRouter(tags=["diffs"], dependencies=[require("read")])
