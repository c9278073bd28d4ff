"""Bodies of the events route: an event of the outbox with how its deliveries went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.common import Body


class DeliveryOut(Body):
    """One delivery of an event to a subscription (its url shown without path: no secret)."""

    subscription: str = Field(
        examples=["3f2a9c1d0b7e4a55-slack"], description="the subscription's key"
    )
    url: str | None = Field(
        examples=["https://hooks.slack.com/…"],
        description="scheme and host of the subscription's url; null: no longer configured",
    )
    format: str | None = Field(examples=["slack"], description="cloudevents, slack or openlineage")
    state: str = Field(examples=["pending"], description="pending, delivered or dead")
    attempts: int = Field(description="attempts made (claimed) so far")
    next_attempt_at: datetime = Field(description="when a pending delivery is tried (again)")
    last_status: int | None = Field(default=None, description="the receiver's last HTTP status")
    last_error: str | None = Field(default=None, description="why the last attempt failed")
    delivered_at: datetime | None = None


class EventOut(Body):
    """An event as emitted (its CloudEvents id, type without `io.ecoplane.`, subject, data)."""

    id: str = Field(
        examples=["0b8e4c3e-5d4f-4a51-9f1e-2f6c1f8d9a10"], description="stable: deduplicate by it"
    )
    position: int = Field(description="the order events were written in")
    type: str = Field(examples=["run.failed"])
    source: str = Field(examples=["/ecoplane"])
    subject: str = Field(examples=["run/42"])
    time: datetime
    data: dict[str, Any] = Field(description="the event's data (docs/events.md lists each type's)")
    deliveries: list[DeliveryOut]


class EventPage(Body):
    """A page of events, newest first."""

    items: list[EventOut]
    next_cursor: str | None = Field(description="null on the last page")
