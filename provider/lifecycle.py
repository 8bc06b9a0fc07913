"""ECR lifecycle policies: the generated policy of a repository, and the rules ECR enforces.

moto accepts policies that AWS rejects (duplicate priorities, an ``any`` rule that is not last,
``tagged`` rules without a tag list), so every policy, generated or raw, is checked here first.
"""

from __future__ import annotations

import json
from typing import Any

UNTAGGED_KEEP = 3
EXPIRE_ALL_DAYS = 14
MAX_RULES = 50
MAX_WILDCARDS = 4


def build_policy(rules: list[tuple[str, int]], expire_all: bool) -> dict[str, Any]:
    """The reference module's policy: untagged images expire (3 newest kept), then each
    ``(tag_pattern, days)`` in order, then, last, every image after 14 days."""
    out: list[dict[str, Any]] = [
        {
            "rulePriority": 1,
            "description": f"Keep only the {UNTAGGED_KEEP} newest untagged images",
            "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": UNTAGGED_KEEP},
            "action": {"type": "expire"},
        }
    ]
    for pattern, days in rules:
        out.append(
            {
                "rulePriority": len(out) + 1,
                "description": f"Expire images tagged {pattern} {days} days after push",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": [pattern],
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": days,
                },
                "action": {"type": "expire"},
            }
        )
    if expire_all:
        out.append(
            {
                "rulePriority": len(out) + 1,
                "description": f"Expire every image {EXPIRE_ALL_DAYS} days after push",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": EXPIRE_ALL_DAYS,
                },
                "action": {"type": "expire"},
            }
        )
    return {"rules": out}


def rule_count(rules: int, expire_all: bool) -> int:
    return 1 + rules + (1 if expire_all else 0)


def dump(policy: dict[str, Any]) -> str:
    """Compact text with rules in ascending priority and no null keys: what is written to ECR."""
    return json.dumps(_clean(policy), separators=(",", ":"))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items() if v is not None}
        if isinstance(out.get("rules"), list):
            out["rules"] = sorted(out["rules"], key=lambda r: r.get("rulePriority", 0) if isinstance(r, dict) else 0)
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def canonical(text: str | None) -> str | None:
    """A comparable form of a policy text (``None`` stays ``None``); unparsable text compares as itself."""
    if text is None:
        return None
    try:
        return json.dumps(_clean(json.loads(text)), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text


def problems(policy: Any) -> list[str]:
    """What AWS would reject in a lifecycle policy document, each message ending with the fix."""
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list) or not policy["rules"]:
        return ['must be a JSON object with a non-empty "rules" list']
    rules = policy["rules"]
    found: list[str] = []
    unknown = set(policy) - {"rules"}
    if unknown:
        found.append(f"unknown top-level key {sorted(unknown)[0]!r}; only \"rules\" is allowed")
    if len(rules) > MAX_RULES:
        found.append(f"has {len(rules)} rules; ECR allows at most {MAX_RULES}")
    priorities: list[int] = []
    any_rules: list[int] = []
    untagged = 0
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if not isinstance(rule, dict):
            found.append(f"{where} must be an object")
            continue
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            found.append(f"{where}.rulePriority must be a whole number >= 1")
        else:
            priorities.append(priority)
        action = rule.get("action")
        if not isinstance(action, dict) or action.get("type") != "expire":
            found.append(f'{where}.action must be {{"type": "expire"}}')
        selection = rule.get("selection")
        if not isinstance(selection, dict):
            found.append(f"{where}.selection must be an object")
            continue
        status = selection.get("tagStatus")
        prefixes = selection.get("tagPrefixList")
        patterns = selection.get("tagPatternList")
        if status not in ("tagged", "untagged", "any"):
            found.append(f'{where}.selection.tagStatus must be "tagged", "untagged" or "any"')
        elif status == "tagged":
            if bool(prefixes) == bool(patterns):
                found.append(f"{where}: a tagged rule needs exactly one of tagPrefixList and tagPatternList")
        elif prefixes or patterns:
            found.append(f"{where}: an {status} rule takes no tagPrefixList or tagPatternList")
        if status == "any" and isinstance(priority, int):
            any_rules.append(priority)
        if status == "untagged":
            untagged += 1
        for pattern in patterns or []:
            if not isinstance(pattern, str) or pattern.count("*") > MAX_WILDCARDS:
                found.append(f"{where}: tag pattern {pattern!r} may hold at most {MAX_WILDCARDS} '*'")
        count_type = selection.get("countType")
        unit = selection.get("countUnit")
        number = selection.get("countNumber")
        if count_type == "imageCountMoreThan":
            if unit is not None:
                found.append(f"{where}: imageCountMoreThan takes no countUnit; remove it")
        elif count_type == "sinceImagePushed":
            if unit != "days":
                found.append(f'{where}: sinceImagePushed needs "countUnit": "days"')
        else:
            found.append(f'{where}.selection.countType must be "imageCountMoreThan" or "sinceImagePushed"')
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            found.append(f"{where}.selection.countNumber must be a whole number >= 1")
    if len(set(priorities)) != len(priorities):
        found.append("rulePriority values must be unique")
    if len(any_rules) > 1:
        found.append('at most one rule may have tagStatus "any"')
    elif any_rules and priorities and any_rules[0] != max(priorities):
        found.append('the tagStatus "any" rule must have the highest rulePriority')
    if untagged > 1:
        found.append('at most one rule may have tagStatus "untagged"')
    return found


def parse_text(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse and check a raw LifecyclePolicyText."""
    try:
        policy = json.loads(text)
    except ValueError as exc:
        return None, [f"is not valid JSON ({exc.msg} at character {exc.pos})"]
    return policy, problems(policy)
