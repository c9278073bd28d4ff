"""Drift: what a security sync repaired because the warehouse changed behind the model's back.

One definition, read by the `security.drift.detected` event (`app/security/audit.py`) and the
drift gauge on /metrics (`app/api/work_metrics.py`): a sync repairs drift when its model version
is the one the sync before it applied and no version was activated between the two. The model
did not change, so every operation it applied undid a change made in the warehouse (by hand, by
another tool). The first sync of a version, or one after an activation (a rollback too), is not
drift: it carries out the model's change.
"""

from __future__ import annotations

import asyncpg

# joined to `security_syncs s`: the sync before it, as `previous`
PREVIOUS_SYNC = (
    "LEFT JOIN LATERAL (SELECT p.model_version_id, p.applied_at FROM security_syncs p"
    " WHERE p.id < s.id ORDER BY p.id DESC LIMIT 1) previous ON true"
)
# true when sync `s` (with PREVIOUS_SYNC joined) repaired drift
REPAIRS_DRIFT = (
    "coalesce(previous.model_version_id = s.model_version_id AND NOT EXISTS ("
    "SELECT 1 FROM model_version_activations a WHERE a.activated_at > previous.applied_at"
    " AND a.activated_at <= s.applied_at), false)"
)


async def repairs_drift(connection: asyncpg.Connection, sync_id: int) -> bool:
    """Whether the recorded sync repaired drift (REPAIRS_DRIFT)."""
    found = await connection.fetchval(
        f"SELECT {REPAIRS_DRIFT} FROM security_syncs s {PREVIOUS_SYNC} WHERE s.id = $1", sync_id
    )
    return bool(found)
