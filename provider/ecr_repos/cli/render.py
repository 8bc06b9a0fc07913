"""Text and JSON forms of a plan."""

from __future__ import annotations

import json

from ..repos.planner import ADOPT, CREATE, KEEP, UPDATE
from . import describe
from .resolve import shown
from .plan import ONE_LINE, BY_DESCRIBE, BY_STACK_ID, CONFLICT, FROM_DEPLOYED, FROM_NONE, KINDS, RELEASE, REMOVE, RETAIN, SYMBOLS, Change, PlanReport

_WORDS = {CREATE: "to create", UPDATE: "to change", ADOPT: "to adopt", REMOVE: "to remove", RETAIN: "retained",
          RELEASE: "to release", CONFLICT: "in conflict", KEEP: "unchanged"}
_LABELS = {"mutability": "image tags", "scan_on_push": "scan on push", "lifecycle_policy": "lifecycle policy",
           "repository_policy": "repository policy", "tags": "tags", "tag_exclusions": "tag exclusions",
           "encryption": "encryption"}


def as_json(report: PlanReport) -> str:
    """The plan as JSON; a value known after deploy is the string "(known after deploy)"."""
    return shown(json.dumps(report.as_json(), indent=2, sort_keys=False)) + "\n"


def _setting(change: Change, created: bool) -> list[str]:
    label = _LABELS.get(change.setting, change.setting)
    if change.setting in ONE_LINE:
        if created:
            return [f"    {label}: {change.after[0]}"]
        return [f"    {label}: {change.before[0]} -> {change.after[0]}"]
    if created:
        return [f"    {label}:"] + [f"        {line}" for line in change.after]
    if not change.after:
        return [f"    {label}: removed"] + [f"      - {line}" for line in change.before]
    if not change.before:
        return [f"    {label}: added"] + [f"      + {line}" for line in change.after]
    return [f"    {label}:"] + [f"      {line}" for line in describe.diff_lines(change.before, change.after)]


def owner_line(match: str, stack_id: str | None, by_tags: str) -> str:
    """The header line saying how owners were matched; ``by_tags`` is the text when by readable tags."""
    if match == BY_STACK_ID:
        return "Owner: the given --stack-id"
    if match == BY_DESCRIBE:
        return f"Owner: stack {stack_id} (DescribeStacks)"
    return f"Owner: {by_tags}"


def as_text(report: PlanReport) -> str:
    lines = [f"Plan for {report.logical_id} ({report.template}) in stack {report.stack_name}, "
             f"{report.region}, account {report.account or 'unknown'}"]
    lines.append(owner_line(report.owner_match, report.stack_id,
                            f"stack not found; repositories tagged ecr-repos:stack={report.stack_name}, "
                            f"ecr-repos:logical-id={report.logical_id} count as this resource's"))
    lines.extend(_previous(report))
    if report.known_after_deploy:
        lines.append("Known after deploy (a !Ref or !GetAtt of a resource of this template): "
                     + ", ".join(report.known_after_deploy))
    lines.append("")
    for repo in report.repos:
        head = f"{SYMBOLS[repo.kind]} {repo.name}"
        tail = _WORDS[repo.kind] if repo.kind != KEEP else "unchanged"
        if repo.note:
            tail += f": {repo.note}"
        lines.append(f"{head}  ({tail})")
        for change in repo.changes:
            lines.extend(_setting(change, repo.kind == CREATE))
    if not report.repos:
        lines.append("(no repositories declared)")
    counts = report.counts()
    summary = ", ".join(f"{counts[k]} {_WORDS[k]}" for k in KINDS if counts[k])
    lines.append("")
    lines.append(f"Summary: {summary or 'nothing to do'}.")
    if counts[CONFLICT]:
        lines.append("An Update with these properties would fail before any change: resolve the conflicts first.")
    return shown("\n".join(lines)) + "\n"


def _previous(report: PlanReport) -> list[str]:
    """Where the previous properties came from and what happens to the physical id."""
    if report.old_source == FROM_NONE:
        return [f"Previous properties: the deployed template has no {report.logical_id}; the Update creates it"]
    if report.old_source != FROM_DEPLOYED:
        return [f"Previous properties: not read ({report.old_reason or 'unknown'}); the user tags of the repositories this "
                "resource owns stand for the tags declared before"]
    lines = ["Previous properties: the deployed template (GetTemplate) with the stack's parameters"]
    if report.keeps_physical_id:
        lines.append(f"Physical id: {report.physical_id} kept")
    elif report.physical_id:
        lines.append(f"Physical id: {report.physical_id} replaced by a new one; CloudFormation then deletes the "
                     "old one, which removes the repositories no longer declared")
    return lines
