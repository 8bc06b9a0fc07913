"""A small evaluator of repository policies, for tests: may this caller do this action?

It knows what the provider's and AWS Lambda's statements use, and refuses (raises) anything else,
so that a test never passes on an element it silently ignored:
- ``Effect`` Allow and Deny (an explicit Deny wins, as in IAM);
- ``Principal``: ``"*"``, ``{"AWS": ...}`` (an ARN, ``*``, or an account root, which stands for
  every principal of that account: the resource policy delegates to the account's own IAM), and
  ``{"Service": ...}``;
- ``Action`` with ``*``/``?`` wildcards;
- ``Condition`` with ``StringEquals``, ``StringLike`` and ``ForAnyValue:StringLike`` (condition
  keys are case-insensitive; a key missing from the request never matches).
No ``Resource`` element: ECR repository policies have none.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

_ROOT = re.compile(r"^arn:([^:]+):iam::([0-9]{12}):root$")
_KNOWN_KEYS = {"Sid", "Effect", "Principal", "Action", "Condition"}


@dataclass(frozen=True)
class Caller:
    """Who asks. ``arn`` for an IAM principal (its account is read from it), ``service`` for an AWS
    service principal; ``context`` holds the request's condition keys (lists for multi-valued ones)."""

    arn: str | None = None
    service: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def account(self) -> str | None:
        return self.arn.split(":")[4] if self.arn else None

    @property
    def partition(self) -> str | None:
        return self.arn.split(":")[1] if self.arn else None


def role(account: str, name: str = "app", *, partition: str = "aws", org: str | None = None,
         paths: list[str] | None = None) -> Caller:
    context: dict[str, Any] = {}
    if org:
        context["aws:PrincipalOrgID"] = org
    if paths is not None:
        context["aws:PrincipalOrgPaths"] = paths
    return Caller(arn=f"arn:{partition}:iam::{account}:role/{name}", context=context)


def lambda_service(function_arn: str | None) -> Caller:
    context = {"aws:SourceArn": function_arn} if function_arn else {}
    return Caller(service="lambda.amazonaws.com", context=context)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict) or not set(principal) <= {"AWS", "Service"}:
        raise ValueError(f"unsupported Principal {principal!r}")
    for value in _list(principal.get("AWS", [])):
        if caller.arn is None:
            continue
        if value == "*" or value == caller.arn:
            return True
        root = _ROOT.match(value)
        if root and (root.group(1), root.group(2)) == (caller.partition, caller.account):
            return True
    return caller.service is not None and caller.service in _list(principal.get("Service", []))


def _context_values(caller: Caller, key: str) -> list[str] | None:
    for name, value in caller.context.items():
        if name.lower() == key.lower():
            return [str(v) for v in _list(value)]
    return None


def _like(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _conditions_hold(condition: dict[str, Any], caller: Caller) -> bool:
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "StringLike", "ForAnyValue:StringLike"):
            raise ValueError(f"unsupported condition operator {operator!r}")
        for key, wanted in tests.items():
            have = _context_values(caller, key)
            wanted = [str(w) for w in _list(wanted)]
            if have is None:
                return False
            if operator == "StringEquals":
                if len(have) != 1 or have[0] not in wanted:
                    return False
            elif operator == "StringLike":
                if len(have) != 1 or not any(_like(have[0], w) for w in wanted):
                    return False
            elif not any(_like(h, w) for h in have for w in wanted):  # ForAnyValue:StringLike
                return False
    return True


def _applies(statement: dict[str, Any], caller: Caller, action: str) -> bool:
    unknown = set(statement) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"unsupported statement elements {sorted(unknown)}")
    if not _principal_matches(statement.get("Principal"), caller):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(statement.get("Action", []))):
        return False
    return _conditions_hold(statement.get("Condition") or {}, caller)


def allowed(policy: str | dict[str, Any] | None, caller: Caller, action: str) -> bool:
    """Whether the policy lets ``caller`` do ``action`` (an explicit Deny wins)."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    if not doc:
        return False
    statements = _list(doc.get("Statement", []))
    if any(s.get("Effect") == "Deny" and _applies(s, caller, action) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and _applies(s, caller, action) for s in statements)


def actions_allowed(policy: str | dict[str, Any] | None, caller: Caller, actions: list[str]) -> set[str]:
    return {a for a in actions if allowed(policy, caller, a)}
