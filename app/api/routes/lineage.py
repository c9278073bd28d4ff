"""Lineage and consumers: who reads what, directly and through transformers."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import require

router = APIRouter(tags=["lineage"], dependencies=[require("read")])
