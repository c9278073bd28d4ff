"""What a delivery posts, by the subscription's format: a registry of name → function.

A format turns an event into the body and headers posted, or None to send nothing for it (the
delivery then counts as done). `cloudevents`: the structured CloudEvents 1.0 JSON of every
event; `slack`: an incoming-webhook message saying what happened, where, with a link;
`openlineage`: the data of an `openlineage.*` event as is (an OpenLineage RunEvent). A new
format is a function added to FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson

from app.events.outbox import TYPE_PREFIX, Event

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Context:
    """What formats may need besides the event: where users reach this service (links)."""

    public_url: str


Posted = tuple[bytes, dict[str, str]]
Format = Callable[[Event, Context], Posted | None]


def cloudevent(event: Event) -> dict[str, Any]:
    """The structured CloudEvents 1.0 form of an event."""
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": f"{TYPE_PREFIX}{event.type}",
        "subject": event.subject,
        "time": event.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": JSON,
        "data": event.data,
    }


def cloudevents(event: Event, context: Context) -> Posted | None:
    """Every event, as `application/cloudevents+json`."""
    if event.type.startswith("openlineage."):
        return None
    return orjson.dumps(cloudevent(event)), {"Content-Type": "application/cloudevents+json"}


def openlineage(event: Event, context: Context) -> Posted | None:
    """An `openlineage.*` event's data (a RunEvent) posted as is; nothing for other types."""
    if not event.type.startswith("openlineage."):
        return None
    return orjson.dumps(event.data), {"Content-Type": JSON}


def _escaped(text: object) -> str:
    """Text for Slack's mrkdwn: &, < and > escaped (a name cannot become a link)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(context: Context, path: str, label: str) -> str:
    return f"<{context.public_url.rstrip('/')}{path}|{_escaped(label)}>"


def _summary(event: Event, context: Context) -> tuple[str, str]:
    """The headline and the link of an event, in words."""
    d, kind = event.data, event.type
    if kind.startswith("run."):
        what = f"{d.get('kind')} run of {d.get('target')!s}"
        link = _link(context, f"/api/v1/runs/{d.get('runId')}", f"run {d.get('runId')}")
        outcome = kind.removeprefix("run.")
        detail = f": {d['reason']}" if d.get("reason") and outcome == "failed" else ""
        code = f" (exit code {d['exitCode']})" if d.get("exitCode") not in (None, 0) else ""
        return f"{_icon(kind)} {_escaped(what)} {outcome}{code}{_escaped(detail)}", link
    if kind.startswith("model.version."):
        version = d.get("version")
        link = _link(context, f"/api/v1/model-versions/{version}", f"model version {version}")
        at = f" (commit {str(d['commit'])[:12]})" if d.get("commit") else ""
        why = f": {d['reason']}" if d.get("reason") else ""
        return (
            f"{_icon(kind)} model version {version}{at} {kind.rsplit('.', 1)[1]}{_escaped(why)}",
            link,
        )
    if kind == "pull_request.checked":
        link = _link(context, f"/api/v1/checks/{d.get('check')}", f"check {d.get('check')}")
        return (
            f"{_icon(kind, d.get('state'))} pull request {d.get('pullRequest')}: {_escaped(d.get('detail', ''))}",
            link,
        )
    link = _link(context, "/api/v1/events", "events")
    return f"{_icon(kind)} {_escaped(kind)} {_escaped(event.subject)}", link


def _icon(kind: str, state: object = None) -> str:
    bad = kind.endswith((".failed", ".rejected", ".detected")) or state == "failure"
    return ":red_circle:" if bad else ":large_green_circle:"


def slack(event: Event, context: Context) -> Posted | None:
    """A readable incoming-webhook message: what happened, where, a link; the event id below."""
    if event.type.startswith("openlineage."):
        return None
    headline, link = _summary(event, context)
    lines = [headline]
    tail = event.data.get("logTail")
    if event.type == "run.failed" and tail:
        lines.append("```" + _escaped(str(tail)[-1500:]) + "```")
    problems = event.data.get("problems") or event.data.get("breakingChanges") or []
    lines += [f"• {_escaped(p.get('message', p))}" for p in problems[:5] if isinstance(p, dict)]
    message = {
        "text": f"{headline} ({link})",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{link} · `{TYPE_PREFIX}{event.type}` · id {event.id}",
                    }
                ],
            },
        ],
    }
    return orjson.dumps(message), {"Content-Type": JSON}


FORMATS: dict[str, Format] = {
    "cloudevents": cloudevents,
    "slack": slack,
    "openlineage": openlineage,
}
