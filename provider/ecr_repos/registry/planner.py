"""Pure: desired parts, owned parts and the registry as read -> conflicts, limits and small frozen actions.

No boto3 here. Ownership without tags (``ownership``): a resource owns what it declared before (``old``,
from OldResourceProperties on Update, the properties on Delete). A declared part that exists and that
``old`` does not name is a conflict (refused before any write) unless AdoptExisting. A part ``old``
names and ``new`` does not is removed only while it still is what ``old`` declared: a part someone else
wrote under the same key since (say the other resource of a refused update, which this resource's
rollback must not delete) is kept.

The registry policy and the replication configuration are one object each that others write too:
their actions carry what to remove and what to add, and ``merge_policy`` / ``merge_replication``
apply them to whatever is current when the executor writes (read-modify-write, re-read and retried
by the executor); ``policy_holds`` / ``replication_holds`` say whether a re-read still shows them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..repos.access import parse_policy  # one reader of a policy document for both types
from .spec import (DEFAULT_SCANNING, SID_PREFIX, MAX_CACHE_RULES, MAX_POLICY_CHARS, MAX_REPLICATION_RULES, CacheRule,
                   RegistrySpec, ReplicationRule, Scanning, Statement, Template, cache_rule_of,
                   replication_rule_of, template_of)

VERSION = "2012-10-17"


@dataclass(frozen=True)
class RegistryState:
    """The registry as read (parts not needed by a request stay empty)."""

    policy: str | None = None
    replication: tuple[dict[str, Any], ...] = ()
    cache_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    scanning: Scanning = DEFAULT_SCANNING
    exclusions: tuple[str, ...] = ()
    scope: str = "V2"


# --- actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WritePolicy:
    remove: frozenset[str]  # Sids to drop
    add: tuple[Statement, ...]  # statements to hold (replacing any of the same Sid)


@dataclass(frozen=True)
class WriteReplication:
    remove: tuple[ReplicationRule, ...]
    add: tuple[ReplicationRule, ...]


@dataclass(frozen=True)
class CreateCacheRule:
    rule: CacheRule


@dataclass(frozen=True)
class UpdateCacheRule:
    rule: CacheRule


@dataclass(frozen=True)
class DeleteCacheRule:
    prefix: str


@dataclass(frozen=True)
class CreateTemplate:
    template: Template


@dataclass(frozen=True)
class UpdateTemplate:
    template: Template


@dataclass(frozen=True)
class DeleteTemplate:
    prefix: str


@dataclass(frozen=True)
class PutScanning:
    scanning: Scanning


@dataclass(frozen=True)
class RegisterExclusion:
    arn: str


@dataclass(frozen=True)
class DeregisterExclusion:
    arn: str


Action = (WritePolicy | WriteReplication | CreateCacheRule | UpdateCacheRule | DeleteCacheRule | CreateTemplate
          | UpdateTemplate | DeleteTemplate | PutScanning | RegisterExclusion | DeregisterExclusion)


@dataclass(frozen=True)
class Conflict:
    """A declared part that exists and is not this resource's: ``field`` and ``key`` name it."""

    field: str
    key: str


@dataclass(frozen=True)
class Limit:
    """A merged object ECR would refuse: ``field``, what it would hold, what ECR allows."""

    field: str
    size: int
    foreign: int
    limit: int


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    limits: tuple[Limit, ...] = ()


# --- the registry policy ---------------------------------------------------------------------------


def statements_by_sid(text: str | None) -> dict[str, dict[str, Any]]:
    doc = parse_policy(text)
    statements = (doc or {}).get("Statement", [])
    return {s["Sid"]: s for s in statements if isinstance(s, dict) and isinstance(s.get("Sid"), str)}


_ROOT = re.compile(r"^arn:[a-z-]+:iam::([0-9]{12}):root$")


def _normalise(value: Any, key: str = "") -> Any:
    """IAM's equivalences: a one-element list is its element; list order does not matter; an account id
    as principal is its root ARN (IAM may store either)."""
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = sorted((_normalise(v, key) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    if key == "AWS" and isinstance(value, str):
        found = _ROOT.match(value)
        return found.group(1) if found else value
    return value


def same_statement(a: dict[str, Any] | str, b: dict[str, Any] | str) -> bool:
    a = json.loads(a) if isinstance(a, str) else a
    b = json.loads(b) if isinstance(b, str) else b
    return json.dumps(_normalise(a), sort_keys=True) == json.dumps(_normalise(b), sort_keys=True)


def merge_policy(current: str | None, write: WritePolicy) -> str | None:
    """``current`` with ``write`` applied: others' statements kept in their order, then ours. None: no policy."""
    doc = parse_policy(current)
    drop = set(write.remove) | {s.sid for s in write.add}
    kept = [s for s in (doc or {}).get("Statement", []) if not (isinstance(s, dict) and s.get("Sid") in drop)]
    statements = kept + [s.document for s in write.add]
    if not statements:
        return None
    base = {k: v for k, v in (doc or {}).items() if k != "Statement"} if kept else {}
    base.setdefault("Version", VERSION)
    return json.dumps({**base, "Statement": statements}, separators=(",", ":"))


def policy_holds(current: str | None, write: WritePolicy) -> bool:
    found = statements_by_sid(current)
    if any(sid in found for sid in write.remove - {s.sid for s in write.add}):
        return False
    return all(s.sid in found and same_statement(found[s.sid], s.text) for s in write.add)


# --- the replication configuration -----------------------------------------------------------------


def merge_replication(current: tuple[dict[str, Any], ...] | list[dict[str, Any]], write: WriteReplication
                      ) -> list[dict[str, Any]]:
    drop = set(write.remove) | set(write.add)
    kept = [r for r in current if replication_rule_of(r) not in drop]
    return kept + [r.api() for r in write.add]


def replication_holds(current: tuple[dict[str, Any], ...] | list[dict[str, Any]], write: WriteReplication) -> bool:
    found = {replication_rule_of(r) for r in current}
    return all(r in found for r in write.add) and not any(r in found for r in set(write.remove) - set(write.add))


# --- the plan --------------------------------------------------------------------------------------


CLOCK_SKEW_SECONDS = 1.0  # between the Lambda's clock and ECR's createdAt (both NTP-synchronised)


def plan(desired: RegistrySpec, old: RegistrySpec | None, state: RegistryState, *, since: float | None = None) -> Plan:
    """What a Create (``old`` None) or an Update does; a Delete is ``plan(RegistrySpec(), old, state)``.

    ``since``: when this resource was created (ownership.created_at); a cache rule or template ECR
    dates earlier was never this resource's, unless ``old`` adopted."""

    def written_since(part: dict[str, Any]) -> bool:
        created = part.get("createdAt")
        if since is None or owned.adopt_existing or created is None:
            return True
        stamp = created.timestamp() if hasattr(created, "timestamp") else float(created)
        return stamp >= since - CLOCK_SKEW_SECONDS

    # An Update may find a declared part its old properties do not name, as it declares it: CloudFormation's
    # rollback of an update that dropped (or failed to drop) a part this resource had written. It is taken
    # as this resource's (a rollback must not fail); a Create has no such excuse.
    rollback_excuse = old is not None
    # A dated part (cache rule, template) made as declared since this resource's request began is this
    # resource's: the same Create delivered twice finds what its first delivery made.
    replay_excuse = rollback_excuse or since is not None

    owned = old or RegistrySpec()
    adopt = desired.adopt_existing
    conflicts: list[Conflict] = []
    limits: list[Limit] = []
    actions: list[Action] = []

    # The registry policy: this resource's statements are those whose Sid starts with its prefix.
    current = statements_by_sid(state.policy)
    mine = desired.sids
    prefix = desired.sid_prefix if desired.statements or old is None else owned.sid_prefix
    if prefix == SID_PREFIX:
        prefix = "\0"  # no owner's mark (a spec built without one): remove no statement by prefix
    adopted = set()
    for statement in desired.statements:
        name = statement.declared
        if name is not None and name in current:  # someone's statement under the declared Sid itself
            if adopt:
                adopted.add(name)
            else:
                conflicts.append(Conflict("PolicyStatements", name))
    remove = frozenset(sid for sid in current if sid.startswith(prefix) and sid not in mine) | adopted
    if remove or any(sid not in current or not same_statement(current[sid], st.text) for sid, st in mine.items()):
        write = WritePolicy(remove, tuple(mine.values()))
        merged = merge_policy(state.policy, write)
        if merged is not None and len(merged) > MAX_POLICY_CHARS:
            ours = len(json.dumps([s.document for s in write.add], separators=(",", ":")))
            limits.append(Limit("PolicyStatements", len(merged), len(merged) - ours, MAX_POLICY_CHARS))
        actions.append(write)

    # Replication: rules by content.
    rules_now = [replication_rule_of(r) for r in state.replication]
    for rule in desired.replication_rules:
        if rule in rules_now and rule not in owned.replication_rules and not adopt and not rollback_excuse:
            conflicts.append(Conflict("ReplicationRules", rule.describe()))
    gone = tuple(r for r in owned.replication_rules if r not in desired.replication_rules and r in rules_now)
    if gone or any(r not in rules_now for r in desired.replication_rules):
        write_r = WriteReplication(gone, desired.replication_rules)
        merged_rules = merge_replication(state.replication, write_r)
        if len(merged_rules) > MAX_REPLICATION_RULES:
            limits.append(Limit("ReplicationRules", len(merged_rules), len(merged_rules) - len(write_r.add),
                                MAX_REPLICATION_RULES))
        actions.append(write_r)

    # Pull-through cache rules: by prefix; only credential and role change in place.
    count = len(state.cache_rules)
    for prefix, rule in sorted(desired.cache_rules.items()):
        have = state.cache_rules.get(prefix)
        if have is None:
            actions.append(CreateCacheRule(rule))
            count += 1
            continue
        actual = cache_rule_of(have)
        excused = replay_excuse and actual == rule and written_since(have)
        if prefix not in owned.cache_rules and not adopt and not excused:
            conflicts.append(Conflict("PullThroughCacheRules", prefix))
        dropped = (actual.credential and not rule.credential) or (actual.role and not rule.role)
        if actual.fixed() != rule.fixed() or dropped:  # UpdatePullThroughCacheRule cannot change or unset these
            actions += [DeleteCacheRule(prefix), CreateCacheRule(rule)]
        elif actual != rule:
            actions.append(UpdateCacheRule(rule))
    for prefix, rule in sorted(owned.cache_rules.items()):
        have = state.cache_rules.get(prefix)
        if prefix not in desired.cache_rules and have is not None and written_since(have) \
                and _still_ours(cache_rule_of(have), rule, owned.exact):
            actions.append(DeleteCacheRule(prefix))
            count -= 1
    if count > MAX_CACHE_RULES:
        limits.append(Limit("PullThroughCacheRules", count, count - len(desired.cache_rules), MAX_CACHE_RULES))

    # Creation templates: by prefix.
    for prefix, template in sorted(desired.templates.items()):
        have = state.templates.get(prefix)
        if have is None:
            actions.append(CreateTemplate(template))
            continue
        actual = template_of(have)
        excused = replay_excuse and actual == template and written_since(have)
        if prefix not in owned.templates and not adopt and not excused:
            conflicts.append(Conflict("RepositoryCreationTemplates", prefix))
        if actual != template:
            # UpdateRepositoryCreationTemplate cannot unset a role: a template that drops it is made anew.
            actions += [DeleteTemplate(prefix), CreateTemplate(template)] if actual.role and not template.role \
                else [UpdateTemplate(template)]
    for prefix, template in sorted(owned.templates.items()):
        have = state.templates.get(prefix)
        if prefix not in desired.templates and have is not None and written_since(have) \
                and _still_ours(template_of(have), template, owned.exact):
            actions.append(DeleteTemplate(prefix))

    # Scanning: one configuration; ECR's default counts as nobody's.
    if desired.scanning is not None:
        excused = rollback_excuse and state.scanning == desired.scanning
        if state.scanning != DEFAULT_SCANNING and owned.scanning is None and not adopt and not excused:
            conflicts.append(Conflict("Scanning", f"{state.scanning.scan_type} with {len(state.scanning.rules)} rules"))
        if state.scanning != desired.scanning:
            actions.append(PutScanning(desired.scanning))
    elif owned.scanning is not None and state.scanning != DEFAULT_SCANNING \
            and _still_ours(state.scanning, owned.scanning, owned.exact):
        actions.append(PutScanning(DEFAULT_SCANNING))

    # Pull-time update exclusions: by ARN.
    now = set(state.exclusions)
    for arn in desired.exclusions:
        if arn in now:
            if arn not in owned.exclusions and not adopt and not rollback_excuse:
                conflicts.append(Conflict("PullTimeUpdateExclusions", arn))
        else:
            actions.append(RegisterExclusion(arn))
    for arn in owned.exclusions:
        if arn not in desired.exclusions and arn in now:
            actions.append(DeregisterExclusion(arn))

    if conflicts or limits:
        return Plan((), tuple(conflicts), tuple(limits))
    return Plan(tuple(actions))


def _still_ours(actual: Any, declared: Any, exact: bool) -> bool:
    """Whether a part the old properties declared is still as they declared it (removable)."""
    if not exact:
        return True
    if isinstance(declared, Statement):
        return same_statement(actual, declared.text)
    return bool(actual == declared)
