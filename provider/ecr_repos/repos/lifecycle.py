"""ECR lifecycle policies: the generated policy of a repository, and the rules ECR enforces.

The grammar is ECR's since November 2025 (AWS docs: lifecycle_policy_parameters and
lifecycle_policy_examples): selections by ``storageClass`` (``standard`` or ``archive``), four count
types, and a ``transition`` action that moves images to the archive storage class. moto accepts
policies that AWS rejects (duplicate priorities, an ``any`` rule that is not last, ``tagged`` rules
without a tag list), so every policy, generated or raw, is checked here first.

The generated policy, in priority order: the untagged rule (keep the ``KeepUntagged`` newest), the
ExpirationRules, the ArchiveRules, the expiry of archived images, and last ``ExpireAllImages``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UNTAGGED_KEEP = 3
EXPIRE_ALL_DAYS = 14
MAX_RULES = 50
MAX_WILDCARDS = 4
ARCHIVE_MIN_DAYS = 90  # ECR: an archived image may not be deleted by a rule within 90 days of archiving
MIN_CHARS, MAX_CHARS = 100, 30720  # botocore: LifecyclePolicyText min 100, max 30720 characters
MAX_NUMBER = 2147483647  # rulePriority and countNumber are 32-bit signed integers at ECR

# Count kinds of a rule (the schema's keys) and the countType each becomes.
DAYS = "Days"
DAYS_SINCE_PULL = "DaysSincePull"
KEEP_LAST = "KeepLast"
COUNT_TYPES = {DAYS: "sinceImagePushed", DAYS_SINCE_PULL: "sinceImagePulled", KEEP_LAST: "imageCountMoreThan"}
ALL_COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
STORAGE_CLASSES = ("standard", "archive")


@dataclass(frozen=True)
class Rule:
    """One ExpirationRules or ArchiveRules item: images tagged ``pattern``, counted by ``kind``."""

    pattern: str
    kind: str  # DAYS, DAYS_SINCE_PULL or KEEP_LAST
    number: int


def _as_rule(item: Rule | tuple[str, int]) -> Rule:
    return item if isinstance(item, Rule) else Rule(item[0], DAYS, item[1])


def _selection(status: str, kind: str, number: int, patterns: list[str] | None = None,
               storage: str | None = None) -> dict[str, Any]:
    count_type = COUNT_TYPES.get(kind, kind)
    out: dict[str, Any] = {"tagStatus": status}
    if patterns:
        out["tagPatternList"] = patterns
    if storage:
        out["storageClass"] = storage
    out["countType"] = count_type
    if count_type != "imageCountMoreThan":
        out["countUnit"] = "days"
    out["countNumber"] = number
    return out


def _expire_text(rule: Rule) -> str:
    if rule.kind == KEEP_LAST:
        return f"Keep only the {rule.number} newest images tagged {rule.pattern}"
    if rule.kind == DAYS_SINCE_PULL:
        return f"Expire images tagged {rule.pattern} {rule.number} days after their last pull"
    return f"Expire images tagged {rule.pattern} {rule.number} days after push"  # the seed's wording, kept


def _archive_text(rule: Rule) -> str:
    since = "their last pull" if rule.kind == DAYS_SINCE_PULL else "push"
    return f"Archive images tagged {rule.pattern} {rule.number} days after {since}"


def build_policy(
    rules: list[Rule] | list[tuple[str, int]],
    expire_all: bool,
    *,
    keep_untagged: int = UNTAGGED_KEEP,
    archive: list[Rule] | None = None,
    expire_archived_after: int | None = None,
) -> dict[str, Any]:
    """The generated policy: untagged images expire (``keep_untagged`` newest kept), then each
    expiration rule in order, each archive rule in order, archived images ``expire_archived_after``
    days after archiving, and last, every image 14 days after push. ``rules`` may hold
    ``(tag_pattern, days)`` pairs, the seed's form."""
    out: list[dict[str, Any]] = [
        {
            "rulePriority": 1,
            "description": f"Keep only the {keep_untagged} newest untagged images",
            "selection": _selection("untagged", KEEP_LAST, keep_untagged),
            "action": {"type": "expire"},
        }
    ]
    for item in rules:
        rule = _as_rule(item)
        out.append({
            "rulePriority": len(out) + 1,
            "description": _expire_text(rule),
            "selection": _selection("tagged", rule.kind, rule.number, [rule.pattern]),
            "action": {"type": "expire"},
        })
    for rule in archive or []:
        out.append({
            "rulePriority": len(out) + 1,
            "description": _archive_text(rule),
            "selection": _selection("tagged", rule.kind, rule.number, [rule.pattern], "standard"),
            "action": {"type": "transition", "targetStorageClass": "archive"},
        })
    if expire_archived_after is not None:
        # tagged "*", not "any": the one "any" rule stays free for ExpireAllImages, and the archive
        # rules archive tagged images only.
        out.append({
            "rulePriority": len(out) + 1,
            "description": f"Delete archived images {expire_archived_after} days after archiving",
            "selection": _selection("tagged", "sinceImageTransitioned", expire_archived_after, ["*"], "archive"),
            "action": {"type": "expire"},
        })
    if expire_all:
        out.append({
            "rulePriority": len(out) + 1,
            "description": f"Expire every image {EXPIRE_ALL_DAYS} days after push",
            "selection": _selection("any", DAYS, EXPIRE_ALL_DAYS),
            "action": {"type": "expire"},
        })
    return {"rules": out}


def rule_count(rules: int, expire_all: bool, archive: int = 0, expire_archived: bool = False) -> int:
    return 1 + rules + archive + (1 if expire_archived else 0) + (1 if expire_all else 0)


def dump(policy: dict[str, Any]) -> str:
    """Compact text with rules in ascending priority and no null keys: what is written to ECR.
    Non-ASCII characters stay themselves: ECR counts the text's characters (MIN_CHARS to MAX_CHARS)."""
    return json.dumps(_clean(policy), separators=(",", ":"), ensure_ascii=False)


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
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= MAX_NUMBER:
            found.append(f"{where}.rulePriority must be a whole number from 1 to {MAX_NUMBER}")
        else:
            priorities.append(priority)
        selection = rule.get("selection")
        if not isinstance(selection, dict):
            found.append(f"{where}.selection must be an object")
            continue
        storage = selection.get("storageClass", "standard")
        if storage not in STORAGE_CLASSES:
            found.append(f'{where}.selection.storageClass must be "standard" or "archive"')
        found.extend(_action_problems(where, rule.get("action"), storage, selection))
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
        elif count_type in ALL_COUNT_TYPES:
            if unit != "days":
                found.append(f'{where}: {count_type} needs "countUnit": "days"')
        else:
            found.append(f"{where}.selection.countType must be one of {', '.join(ALL_COUNT_TYPES)}")
        if (count_type == "sinceImageTransitioned") != (storage == "archive") and storage in STORAGE_CLASSES \
                and count_type in ALL_COUNT_TYPES:
            found.append(f'{where}: sinceImageTransitioned goes with "storageClass": "archive", and only it')
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_NUMBER:
            found.append(f"{where}.selection.countNumber must be a whole number from 1 to {MAX_NUMBER}")
    if len(set(priorities)) != len(priorities):
        found.append("rulePriority values must be unique")
    if len(any_rules) > 1:
        found.append('at most one rule may have tagStatus "any"')
    elif any_rules and priorities and any_rules[0] != max(priorities):
        found.append('the tagStatus "any" rule must have the highest rulePriority')
    if untagged > 1:
        found.append('at most one rule may have tagStatus "untagged"')
    return found


def _action_problems(where: str, action: Any, storage: Any, selection: dict[str, Any]) -> list[str]:
    """ECR's actions: ``expire``, or ``transition`` to ``archive`` of standard images; an expire of
    archived images no sooner than 90 days after they were archived."""
    if not isinstance(action, dict) or action.get("type") not in ("expire", "transition"):
        return [f'{where}.action must be {{"type": "expire"}} or {{"type": "transition", "targetStorageClass": "archive"}}']
    unknown = set(action) - {"type", "targetStorageClass"}
    if unknown:
        return [f"{where}.action: unknown key {sorted(unknown)[0]!r}; remove it"]
    if action["type"] == "transition":
        if action.get("targetStorageClass") != "archive":
            return [f'{where}: a transition needs "targetStorageClass": "archive"']
        if storage == "archive":
            return [f"{where}: archived images cannot be transitioned; select storageClass standard"]
        return []
    if "targetStorageClass" in action:
        return [f"{where}: an expire action takes no targetStorageClass; remove it"]
    number = selection.get("countNumber")
    if storage == "archive" and isinstance(number, int) and number < ARCHIVE_MIN_DAYS:
        return [f"{where}: archived images may be deleted {ARCHIVE_MIN_DAYS} days after archiving at the "
                f"earliest; set countNumber >= {ARCHIVE_MIN_DAYS}"]
    return []


def parse_text(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse and check a raw LifecyclePolicyText."""
    try:
        policy = json.loads(text)
    except ValueError as exc:
        return None, [f"is not valid JSON ({exc.msg} at character {exc.pos})"]
    return policy, problems(policy)
