"""Readable forms of what ECR holds: lifecycle rules, repository policies, tags, and diffs of them.

Shared by ``plan`` (diffs) and ``demo`` (tables). Pure: text in, lines out.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from ..repos import access as policies
from ..repos.ownership import PREFIX
from ..repos.spec import tag_mutability

_ROOT = re.compile(r"^arn:[a-z-]+:iam::([0-9]{12}):root$")


def _who(selection: dict[str, Any]) -> str:
    status = selection.get("tagStatus", "?")
    if status == "tagged":
        if selection.get("tagPatternList"):
            which = "tagged " + ", ".join(selection["tagPatternList"])
        else:
            which = "tagged " + ", ".join(f"{p}*" for p in selection.get("tagPrefixList") or [])
    elif status == "any":
        which = "any image"
    else:
        which = str(status)
    return f"archived, {which}" if selection.get("storageClass") == "archive" else which


_SINCE = {"sinceImagePushed": "after push", "sinceImagePulled": "after the last pull",
          "sinceImageTransitioned": "after archiving"}


def _rule_line(rule: dict[str, Any]) -> str:
    selection = rule.get("selection") or {}
    action = rule.get("action") or {}
    verb = "archive" if action.get("type") == "transition" else "expire"
    number = selection.get("countNumber")
    count_type = selection.get("countType")
    if count_type == "imageCountMoreThan":
        what = f"keep the {number} newest" if verb == "expire" else f"archive all but the {number} newest"
    else:
        unit = selection.get("countUnit", "days")
        what = f"{verb} {number} {unit} {_SINCE.get(str(count_type), str(count_type))}"
    return f"{rule.get('rulePriority', '?')}. {_who(selection)}: {what}"


def lifecycle_rules(text: str) -> list[dict[str, Any]] | None:
    """The rules of a lifecycle policy's text as written, or None when it is not a list of rules."""
    try:
        rules = json.loads(text).get("rules")
    except (ValueError, AttributeError):
        return None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        return None
    return rules


def _rules(text: str | None) -> list[dict[str, Any]] | None:
    rules = None if text is None else lifecycle_rules(text)
    if rules is None:
        return None
    return sorted(rules, key=lambda r: r.get("rulePriority", 0) if isinstance(r.get("rulePriority"), int) else 0)


def lifecycle_lines(text: str | None) -> list[str]:
    """One line per rule, in priority order; ``[]`` for no policy."""
    if text is None or text == "":
        return []
    rules = _rules(text)
    if rules is None:
        return [text]
    return [_rule_line(r) for r in rules]


def lifecycle_summary(text: str | None) -> str:
    """A compact one-line form for tables: ``untagged>3, dev-* 7d, any 14d``."""
    rules = _rules(text)
    if not text:
        return "none"
    if rules is None:
        return "unreadable"
    parts = []
    for rule in rules:
        selection = rule.get("selection") or {}
        status = selection.get("tagStatus")
        if status == "tagged":
            who = ",".join(selection.get("tagPatternList") or [f"{p}*" for p in selection.get("tagPrefixList") or []])
        else:
            who = str(status)
        if selection.get("storageClass") == "archive":
            who = f"archived {who}"
        number = selection.get("countNumber")
        archive = (rule.get("action") or {}).get("type") == "transition"
        count_type = selection.get("countType")
        if count_type == "imageCountMoreThan":
            part = f"{who}>{number}"
        else:
            part = f"{who} {number}d" + {"sinceImagePulled": " unpulled"}.get(str(count_type), "")
        parts.append(f"{part}->archive" if archive else part)
    return ", ".join(parts)


def _accounts(principal: Any) -> list[str]:
    values: list[Any] = []
    if isinstance(principal, str):
        values = [principal]
    elif isinstance(principal, dict):
        aws = principal.get("AWS", [])
        values = aws if isinstance(aws, list) else [aws]
    out = []
    for value in values:
        match = _ROOT.match(str(value))
        out.append(match.group(1) if match else str(value))
    return out


def access(text: str | None) -> tuple[list[str], list[str]] | None:
    """``(pull accounts, push accounts)`` of a repository policy; ``None`` if it is not one of ours
    to read (denies, conditions, other actions): then show its JSON."""
    if text is None:
        return [], []
    statements = policies.statements(text)
    if statements is None:
        return None
    statements = [s for s in statements if policies.is_ours(s)]  # others' statements are theirs to show
    pull: set[str] = set()
    push: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "Condition" in statement:
            return None
        actions = statement.get("Action", [])
        actions = {actions} if isinstance(actions, str) else set(actions)
        accounts = _accounts(statement.get("Principal"))
        if actions & {"ecr:PutImage", "ecr:*"}:
            push.update(accounts)
            pull.update(accounts)
        elif actions & {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}:
            pull.update(accounts)
        else:
            return None
    return sorted(pull), sorted(push)


def policy_lines(text: str | None) -> list[str]:
    """The provider's grants as ``pull: ...`` and ``push: ...`` (and organizations, OUs, Lambda), then
    one ``kept: ...`` line per statement others wrote (the provider keeps them); ``[]`` for no policy."""
    if text is None:
        return []
    if not policies.readable(text):
        return [text]
    ours, foreign = policies.split(text)
    lines = _grant_lines(ours) if ours else []
    return lines + [f"kept: {statement_label(s, i)}" for i, s in enumerate(foreign)]


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _principal_label(value: str) -> str:
    match = _ROOT.match(value)
    return match.group(1) if match else value


def _grant_lines(statements: list[dict[str, Any]]) -> list[str]:
    """The provider's own statements, by Sid; one it does not write (an older or newer release's)
    shows as JSON."""
    grants: dict[str, list[str]] = {"pull": [], "push": []}
    raw: list[str] = []
    for statement in statements:
        sid = statement.get("Sid")
        principal = statement.get("Principal")
        condition = statement.get("Condition") or {}
        if sid in ("EcrReposPull", "EcrReposPush", "EcrReposLambdaAccount") and isinstance(principal, dict):
            if sid == "EcrReposLambdaAccount":
                continue  # the account-side half of a Lambda grant: shown with the service's
            grants["pull" if sid == "EcrReposPull" else "push"] += [_principal_label(v) for v in _values(principal.get("AWS", []))]
        elif sid in ("EcrReposPullOrg", "EcrReposPushOrg"):
            key = "pull organizations" if sid == "EcrReposPullOrg" else "push organizations"
            grants[key] = _values(condition.get("StringEquals", {}).get("aws:PrincipalOrgID", []))
        elif sid in ("EcrReposPullOrgPath", "EcrReposPushOrgPath"):
            key = "pull OUs" if sid == "EcrReposPullOrgPath" else "push OUs"
            paths = condition.get("ForAnyValue:StringLike", {}).get("aws:PrincipalOrgPaths", [])
            grants[key] = [p[:-1] if p.endswith("*") else p for p in _values(paths)]
        elif sid == "EcrReposLambdaPull":
            arns = _values(condition.get("StringLike", {}).get("aws:sourceArn", []))
            grants["Lambda pull"] = [a.split(":")[4] if a.count(":") >= 6 else a for a in arns]
        else:
            raw += json.dumps(statement, indent=2, sort_keys=True).splitlines()
    lines = [f"{k}: {', '.join(v) or '-'}" for k, v in grants.items()]
    return lines + raw


def statement_label(statement: Any, index: int) -> str:
    """A foreign statement in one line: ``Sid: Allow principal actions``."""
    if not isinstance(statement, dict):
        return f"statement {index + 1}"
    name = statement.get("Sid") or f"statement {index + 1}"
    principal = statement.get("Principal", statement.get("NotPrincipal", "?"))
    if isinstance(principal, dict):
        who = ", ".join(v for values in principal.values() for v in _values(values))
    else:
        who = str(principal)
    actions = ", ".join(_values(statement.get("Action", statement.get("NotAction", "?"))))
    condition = " (with conditions)" if statement.get("Condition") else ""
    return f"{name}: {statement.get('Effect', '?')} {who} {actions}{condition}"


def mutability_text(immutable: bool, exclusions: Any) -> str:
    """``IMMUTABLE``, or ``IMMUTABLE_WITH_EXCLUSION (latest, dev-*)``."""
    value = tag_mutability(immutable, exclusions)
    return f"{value} ({', '.join(sorted(exclusions))})" if exclusions else value


def user_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """Tags a user declared (the provider's own ``ecr-repos:`` tags left out)."""
    return {k: v for k, v in sorted((tags or {}).items()) if not k.startswith(PREFIX)}


def tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "-"


def diff_lines(before: list[str], after: list[str]) -> list[str]:
    """A line diff with ``-``/``+``/`` `` markers (no ``?`` hint lines)."""
    return [line for line in difflib.ndiff(before, after) if not line.startswith("?")]
