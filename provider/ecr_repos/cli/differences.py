"""Drift: what was changed behind CloudFormation's back, as differences a person can read.

Pure (no boto3). Drift is not computed beside the planner but from it: the plan of a full-read
Update to the declared properties (``reconcile.read_states(..., full=True)`` then
``planner.plan_apply`` with ``old`` = ``desired``) is exactly the repair, so every action of that
plan is a difference and every conflict an ownership problem. Settings the planner learns later
are therefore drift too; an action this module does not know yet is still reported, by its type
and fields. What the planner leaves alone (foreign policy statements, tags it does not manage) is
never drift.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from ..repos import access, ownership
from ..repos.planner import (
    ADOPT,
    CreateRepository,
    DeleteRepositoryPolicy,
    Plan,
    PutLifecyclePolicy,
    SetMutability,
    SetRepositoryPolicy,
    SetScanOnPush,
    TagRepository,
    UntagRepository,
)
from ..repos.spec import ResourceSpec, tag_mutability
from ..repos.state import RepoState
from .describe import lifecycle_rules

# Settings, in display order; an action the planner adds later gets its own name after these.
REPOSITORY = "repository"
OWNERSHIP = "ownership"
MUTABILITY = "mutability"
SCAN_ON_PUSH = "scan_on_push"
LIFECYCLE = "lifecycle_policy"
POLICY = "repository_policy"
TAGS = "tags"
PROVIDER_TAGS = "provider_tags"
ORDER = (REPOSITORY, OWNERSHIP, MUTABILITY, SCAN_ON_PUSH, LIFECYCLE, POLICY, TAGS, PROVIDER_TAGS)


@dataclass(frozen=True)
class Difference:
    """One setting of one repository that differs from what is declared.

    ``summary`` is one line; ``details`` the lines of a semantic diff (rules, statements, tags);
    ``live`` and ``declared`` the values compared, JSON-ready; ``repairable``: a ReconcileToken
    Update corrects it (ownership problems it refuses instead, before any write).
    """

    repo: str
    setting: str
    summary: str
    details: tuple[str, ...] = ()
    live: Any = None
    declared: Any = None
    repairable: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"repository": self.repo, "setting": self.setting, "summary": self.summary,
                "details": list(self.details), "live": self.live, "declared": self.declared,
                "repairable": self.repairable}


def differences(plan: Plan, desired: ResourceSpec, states: dict[str, RepoState | None], *,
                refs_known: bool = True) -> list[Difference]:
    """Every difference of the declared repositories, sorted by repository then setting.

    ``refs_known``: the physical id is known, so the provider's reference tags can be judged;
    without it (no stack) they are left out.
    """
    out: list[Difference] = []
    for conflict in plan.conflicts:
        if conflict.owner_stack:
            text = (f"its ecr-repos:owner tag is another resource's (ecr-repos:stack says {conflict.owner_stack!r}); "
                    "the repair refuses it")
        else:
            text = "exists and no stack owns it; set AdoptExisting: true to take it over, or rename it"
        out.append(Difference(conflict.repo, OWNERSHIP, text, live=conflict.owner_stack, repairable=False))
    for change in plan.changes:
        if change.repo not in desired.repos:
            continue  # the planner's clean-up of names no longer declared: not drift of this map
        state = states.get(change.repo)
        if change.change == ADOPT:
            out.append(Difference(change.repo, OWNERSHIP, "no stack owns it; the repair adopts it (AdoptExisting)"))
        ours = _statements(desired.repos[change.repo].repository_policy)
        for action in change.actions:
            out.extend(_describe(action, state, refs_known, set(ours or {})))
            if isinstance(action, CreateRepository):
                break  # the rest of a creation is part of it
    rank = {s: i for i, s in enumerate(ORDER)}
    out.sort(key=lambda d: (d.repo, rank.get(d.setting, len(ORDER)), d.setting))
    return out


def drifted_repositories(found: list[Difference]) -> list[str]:
    return sorted({d.repo for d in found})


# --- one action -> differences ---------------------------------------------------------------


def _describe(action: Any, state: RepoState | None, refs_known: bool,
              provider_sids: set[str] | None = None) -> list[Difference]:
    repo = action.repo
    if isinstance(action, CreateRepository):
        return [Difference(repo, REPOSITORY, "missing: the repair creates it (empty)", live=None, declared=repo)]
    if isinstance(action, SetMutability):
        live = _mutability(state)
        declared = tag_mutability(action.immutable, action.tag_exclusions)
        extras = _extras(action, state, ("immutable", "mutability", "tag_exclusions"))
        live_ex = sorted(getattr(state, "tag_exclusions", ()) or ())
        want_ex = sorted(getattr(action, "tag_exclusions", ()) or ())
        if live_ex != want_ex:  # exclusion filters compare as sets
            extras = (f"tag exclusions: live {live_ex}, declared {want_ex}",) + extras
        return [_changed(repo, MUTABILITY, live, declared, extras)]
    if isinstance(action, SetScanOnPush):
        live = None if state is None else state.scan_on_push
        return [_changed(repo, SCAN_ON_PUSH, live, action.scan_on_push, _extras(action, state, ("scan_on_push",)))]
    if isinstance(action, PutLifecyclePolicy):
        live_text = None if state is None else state.lifecycle_policy
        details = lifecycle_diff(live_text, action.text)
        summary = "missing" if live_text is None else "differs"
        return [Difference(repo, LIFECYCLE, summary, tuple(details), _json_or_text(live_text),
                           _json_or_text(action.text))]
    if isinstance(action, SetRepositoryPolicy):
        live_text = None if state is None else state.repository_policy
        details = policy_diff(live_text, action.text, provider_sids)
        summary = "missing" if live_text is None else "statements differ"
        return [Difference(repo, POLICY, summary, tuple(details), _json_or_text(live_text),
                           _json_or_text(action.text))]
    if isinstance(action, DeleteRepositoryPolicy):
        live_text = None if state is None else state.repository_policy
        details = policy_diff(live_text, None)
        return [Difference(repo, POLICY, "set, and none is declared: the repair deletes it", tuple(details),
                           _json_or_text(live_text), None)]
    if isinstance(action, (TagRepository, UntagRepository)):
        return _tags(action, state, refs_known)
    return [_unknown(action)]


def _changed(repo: str, setting: str, live: Any, declared: Any, details: tuple[str, ...] = ()) -> Difference:
    return Difference(repo, setting, f"live {_show(live)}, declared {_show(declared)}", details,
                      live=live, declared=declared)


def _extras(action: Any, state: RepoState | None, known: tuple[str, ...]) -> tuple[str, ...]:
    """Fields of an action beyond the ones described (e.g. exclusion patterns added later), each
    with the live value of the same name when the state has one."""
    lines = []
    for name in _field_names(action):
        if name == "repo" or name in known:
            continue
        value = getattr(action, name)
        lines.append(f"{name}: live {getattr(state, name, None)!r}, declared {value!r}")
    return tuple(lines)


def _field_names(action: Any) -> list[str]:
    """An action's fields: the planner's records list them in ``__slots__`` (subclasses add theirs)."""
    names: list[str] = []
    for klass in reversed(type(action).__mro__):
        for name in getattr(klass, "__slots__", ()):
            if name not in names:
                names.append(name)
    if is_dataclass(action):
        names += [f.name for f in fields(action) if f.name not in names]
    return names


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "unknown" if value is None else str(value)


def _mutability(state: RepoState | None) -> str | None:
    if state is None:
        return None
    return tag_mutability(state.immutable, state.tag_exclusions)


def _unknown(action: Any) -> Difference:
    """An action this module has no words for yet: named by its type, with its fields."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(action).__name__).lower()
    values = {name: getattr(action, name) for name in _field_names(action) if name != "repo"}
    shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return Difference(action.repo, name, f"{type(action).__name__}({shown})",
                      declared=json.loads(json.dumps(values, default=str)))


def _tags(action: Any, state: RepoState | None, refs_known: bool) -> list[Difference]:
    """User tags the provider manages (``tags``) and its own bookkeeping tags (``provider_tags``)."""
    live = dict(state.tags or {}) if state is not None else {}
    repo = action.repo
    if isinstance(action, TagRepository):
        items = [(k, v) for k, v in action.tags]
    else:
        items = [(k, None) for k in action.keys]
    if not refs_known:
        items = [(k, v) for k, v in items if not k.startswith(ownership.REF_PREFIX)]
    out: list[Difference] = []
    for setting, chosen in ((TAGS, [i for i in items if not i[0].startswith(ownership.PREFIX)]),
                            (PROVIDER_TAGS, [i for i in items if i[0].startswith(ownership.PREFIX)])):
        if not chosen:
            continue
        lines = []
        for key, value in chosen:
            if value is None:
                lines.append(f"{key}: live {live.get(key)!r}, no longer declared (removed)")
            elif key in live:
                lines.append(f"{key}: live {live[key]!r}, declared {value!r}")
            else:
                lines.append(f"{key}: missing, declared {value!r}")
        out.append(Difference(repo, setting, "differ", tuple(lines),
                              {k: live.get(k) for k, _ in chosen}, {k: v for k, v in chosen}))
    return out


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# --- semantic diffs --------------------------------------------------------------------------


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        return {prefix: sorted(value, key=str) if all(isinstance(v, str) for v in value) else value}
    return {prefix: value}


def _field_lines(live: dict[str, Any], declared: dict[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    a, b = _flat(live), _flat(declared)
    return [f"{key}: live {json.dumps(a.get(key))}, declared {json.dumps(b.get(key))}"
            for key in sorted(set(a) | set(b)) if key not in skip and a.get(key) != b.get(key)]


def _rules(text: str | None) -> dict[Any, dict[str, Any]] | None:
    if text is None:
        return {}
    rules = lifecycle_rules(text)
    if rules is None:
        return None
    return {r.get("rulePriority", i): r for i, r in enumerate(rules)}


def lifecycle_diff(live: str | None, declared: str) -> list[str]:
    """Which rules differ, by priority: missing, not declared, or each field that changed."""
    a, b = _rules(live), _rules(declared)
    if live is None:
        return [f"rule {p}: missing ({_rule_words(r)})" for p, r in sorted((b or {}).items(), key=lambda i: str(i[0]))]
    if a is None or b is None:
        return ["the live text is not a readable lifecycle policy"]
    lines: list[str] = []
    for priority in sorted(set(a) | set(b), key=lambda p: (not isinstance(p, int), str(p) if not isinstance(p, int) else p)):
        if priority not in a:
            lines.append(f"rule {priority}: missing ({_rule_words(b[priority])})")
        elif priority not in b:
            lines.append(f"rule {priority}: not declared ({_rule_words(a[priority])})")
        else:
            changed = _field_lines(a[priority], b[priority], skip=("rulePriority",))
            lines.extend(f"rule {priority}: {line}" for line in changed)
    return lines or ["the texts differ in form only"]


def _rule_words(rule: dict[str, Any]) -> str:
    selection = rule.get("selection") or {}
    status = selection.get("tagStatus", "?")
    tags = selection.get("tagPatternList") or [f"{p}*" for p in selection.get("tagPrefixList") or []]
    which = f"tagged {', '.join(tags)}" if status == "tagged" else str(status)
    if selection.get("countType") == "imageCountMoreThan":
        what = f"more than {selection.get('countNumber')} images"
    else:
        what = f"{selection.get('countNumber')} {selection.get('countUnit', 'days')} since {selection.get('countType')}"
    return f"{which}, {what}: {(rule.get('action') or {}).get('type', '?')}"


def _statements(text: str | None) -> dict[str, dict[str, Any]] | None:
    if text is None:
        return {}
    found = access.statements(text)
    if found is None:
        return None
    return {str(s.get("Sid") or f"#{i + 1}") if isinstance(s, dict) else f"#{i + 1}": s
            for i, s in enumerate(found)}


def _canon(statement: Any) -> str:
    return access.canonical(json.dumps(statement)) or ""


def policy_diff(live: str | None, declared: str | None, provider_sids: set[str] | None = None) -> list[str]:
    """Which statements differ, by Sid. ``declared`` is the text the repair writes; a statement it
    writes back unchanged is no difference: listed as unchanged, or, when it is not among
    ``provider_sids`` (the provider's own statements), as another party's, kept."""
    a, b = _statements(live), _statements(declared)
    if a is None:
        return ["the live text is not a readable policy"]
    if b is None:
        return ["the declared text is not a readable policy"]
    lines: list[str] = []
    kept: list[str] = []
    for sid in sorted(set(a) | set(b)):
        if sid not in a:
            lines.append(f"statement {sid}: missing")
        elif sid not in b:
            lines.append(f"statement {sid}: not declared (the repair removes it)")
        elif _canon(a[sid]) != _canon(b[sid]):
            left = a[sid] if isinstance(a[sid], dict) else {}
            right = b[sid] if isinstance(b[sid], dict) else {}
            lines.extend(f"statement {sid}: {line}" for line in _field_lines(_normal(left), _normal(right)))
        else:
            kept.append(sid)
    lines.extend(f"statement {sid}: unchanged" if provider_sids is None or sid in provider_sids
                 else f"statement {sid}: not the provider's, kept" for sid in kept)
    return lines


def _normal(statement: dict[str, Any]) -> dict[str, Any]:
    """One-element lists as IAM collapses them, so that only real changes show as fields."""
    return json.loads(_canon(statement) or "{}")
