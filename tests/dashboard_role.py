"""The dashboard role of this test session: a name of its own, since roles are cluster-wide and
the shared PostgreSQL server must be left as it was found. The services and commands the tests
start read it from ECOPLANE_DASHBOARD_ROLE; tests/conftest.py drops it when the session ends."""

from __future__ import annotations

import os
import uuid

DASHBOARD_ROLE = os.environ.setdefault(
    "ECOPLANE_DASHBOARD_ROLE", f"ecoplane_t{uuid.uuid4().hex[:8]}_dashboard"
)
