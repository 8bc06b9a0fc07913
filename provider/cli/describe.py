"""Readable forms of what ECR holds: lifecycle rules, repository policies, tags, and diffs of them.

Shared by ``plan`` (diffs) and ``demo`` (tables). Pure: text in, lines out.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from .. import access as policies
from ..ownership import PREFIX

_ROOT = re.compile(r"^arn:[a-z-]+:iam::([0-9]{12}):root$")


def _rule_line(rule: dict[str, Any]) -> str:
    selection = rule.get("selection") or {}
    status = selection.get("tagStatus", "?")
    if status == "tagged":
        if selection.get("tagPatternList"):
            which = "tagged " + ", ".join(selection["tagPatternList"])
        else:
            which = "tagged " + ", ".join(f"{p}*" for p in selection.get("tagPrefixList") or [])
    elif status == "any":
        which = "any image"
    else:
        which = status
    number = selection.get("countNumber")
    if selection.get("countType") == "imageCountMoreThan":
        what = f"keep the {number} newest"
    else:
        unit = selection.get("countUnit", "days")
        what = f"expire {number} {unit} after push"
    return f"{rule.get('rulePriority', '?')}. {which}: {what}"


def _rules(text: str | None) -> list[dict[str, Any]] | None:
    if text is None:
        return None
    try:
        rules = json.loads(text).get("rules")
    except (ValueError, AttributeError):
        return None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
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
        number = selection.get("countNumber")
        if selection.get("countType") == "imageCountMoreThan":
            parts.append(f"{who}>{number}")
        else:
            parts.append(f"{who} {number}d")
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
    try:
        policy = json.loads(text)
    except ValueError:
        return None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
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


def _who(value: str) -> str:
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
            grants["pull" if sid == "EcrReposPull" else "push"] += [_who(v) for v in _values(principal.get("AWS", []))]
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


def user_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """Tags a user declared (the provider's own ``ecr-repos:`` tags left out)."""
    return {k: v for k, v in sorted((tags or {}).items()) if not k.startswith(PREFIX)}


def tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "-"


def diff_lines(before: list[str], after: list[str]) -> list[str]:
    """A line diff with ``-``/``+``/`` `` markers (no ``?`` hint lines)."""
    return [line for line in difflib.ndiff(before, after) if not line.startswith("?")]
