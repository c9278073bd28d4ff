"""Zones and teams."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import require

router = APIRouter(tags=["governance"], dependencies=[require("read")])
