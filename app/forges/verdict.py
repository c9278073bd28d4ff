"""The verdict on a pull request's head: approvals needed against approvals given (pure).

`success` when the head model has no errors and every approval needed is given; `failure`
otherwise. The comment says it in Markdown, behind the marker ecoplane finds it by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.ecosystem.approvals import Assessment, Requirement
from app.ecosystem.problems import Problem, Severity
from app.forges.forge import MARKER

LISTED = 50  # at most this many problems, breaking changes or approvals written out
Standing = Mapping[tuple[str, str, str], str]  # owner key -> the approver standing for it


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state of the `ecoplane/model` status, its one-line description, the comment, the report."""

    state: str  # success or failure
    description: str
    comment: str
    report: dict[str, Any]
    awaited: tuple[str, ...] = ()  # the owning teams (zones, Ecosystem) whose approval is missing

    def description_within(self, limit: int) -> str:
        """The description in at most `limit` characters (a forge's limit on a status): whole,
        or the owning teams whose approval is missing (as many as fit, and how many more)."""
        if len(self.description) <= limit:
            return self.description
        for shown in range(len(self.awaited), 0, -1):
            rest = len(self.awaited) - shown
            more = f" and {rest} more" if rest else ""
            short = f"needs approval from owners of {', '.join(self.awaited[:shown])}{more}"
            if len(short) <= limit:
                return short
        return self.description[: limit - 1] + "…"


def approved_by(requirement: Requirement, standing: Standing) -> str | None:
    """Who gave the approval a requirement needs (one of its owners, or a member of one), or None."""
    for owner in requirement.owning.owners:
        if owner.key in standing:
            return standing[owner.key]
    return None


def build_verdict(
    assessment: Assessment, problems: list[Problem], standing: Standing, report_url: str
) -> Verdict:
    """The verdict, its comment and its report, from what the change needs and who approved it."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    approvals = [(r, approved_by(r, standing)) for r in assessment.requirements]
    missing = [r for r, by in approvals if by is None]
    needed = _needed_from(missing)
    if errors:
        state, description = "failure", f"the model has {len(errors)} errors"
    elif missing:
        state, description = "failure", f"needs approval from {needed}"
    else:
        state, description = "success", "valid, and every owner concerned approved"
    report = {
        "state": state,
        "errors": len(errors),
        "warnings": len(problems) - len(errors),
        "problems": [p.as_dict() for p in problems[:LISTED]],
        "changes": [c.as_dict() for c in assessment.changes[:LISTED]],
        "breaking": [
            {**b.change.as_dict(), "teams": [{"workspace": w, "team": t} for w, t in b.workspaces]}
            for b in assessment.breaking[:LISTED]
        ],
        "changedTeams": assessment.changed,
        "approvals": [
            {
                "owning": r.owning.label,
                "owners": [str(o) for o in r.owning.owners],
                "reasons": r.reasons,
                "approvedBy": by,
            }
            for r, by in approvals
        ],
        "needsApprovalFrom": needed or None,
    }
    comment = _comment(state, description, report, report_url)
    awaited = tuple(r.owning.label for r in missing) if not errors else ()
    return Verdict(state, description, comment, {**report, "comment": comment}, awaited)


def _needed_from(missing: list[Requirement]) -> str:
    """`github:bob (team USA/Analytics), zone USA (no owner identity declared)`."""
    parts = []
    for requirement in missing:
        owners = " or ".join(str(o) for o in requirement.owning.owners)
        label = requirement.owning.label
        parts.append(f"{owners} ({label})" if owners else f"{label} (no owner identity declared)")
    return "; ".join(parts)


def _comment(state: str, description: str, report: dict[str, Any], url: str) -> str:
    """The Markdown comment: the verdict, problems, breaking changes, teams, approvals."""
    mark = "✅" if state == "success" else "❌"
    lines = [MARKER, f"### ecoplane/model: {mark} {state}: {description}", ""]
    if report["errors"] or report["warnings"]:
        lines += [f"**Problems**: {report['errors']} errors, {report['warnings']} warnings", ""]
        lines += [_problem(p) for p in report["problems"]] + [""]
    if report["breaking"]:
        lines += ["**Breaking changes**", ""]
        for item in report["breaking"]:
            teams = ", ".join(f"{t['workspace']} (team {t['team']})" for t in item["teams"])
            lines.append(
                f"- `{item['path']}`: {item['message']}; affects {teams or 'no workspace'}"
            )
        lines.append("")
    if report["changedTeams"]:
        lines += [f"**Changes the entities of**: {', '.join(report['changedTeams'])}", ""]
    if report["approvals"]:
        lines += ["**Approvals**", ""]
        for item in report["approvals"][:LISTED]:
            owners = " or ".join(f"`{o}`" for o in item["owners"]) or "nobody (no owner identity)"
            given = f"✅ approved by {item['approvedBy']}" if item["approvedBy"] else "⏳ needed"
            lines.append(
                f"- {given}: {item['owning']} ({owners}), {'; '.join(item['reasons'][:5])}"
            )
        lines.append("")
    if report["needsApprovalFrom"]:
        lines += [f"Needs approval from {report['needsApprovalFrom']}.", ""]
    lines.append(f"[The full report]({url})")
    return "\n".join(lines)


def _problem(problem: dict[str, Any]) -> str:
    where = f"{problem.get('file')}:{problem.get('line')}:{problem.get('column')}"
    return f"- {problem.get('severity')} `{problem.get('code')}` {where}: {problem.get('message')}"
