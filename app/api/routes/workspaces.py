"""Workspaces and transformers."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import require

router = APIRouter(tags=["workspaces"], dependencies=[require("read")])
