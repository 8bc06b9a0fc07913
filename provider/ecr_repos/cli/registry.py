"""The ``ecr-repos`` commands for ``Custom::EcrRegistry``: validate, plan and drift of one resource.

Everything about the type is the registry package's: its schema (``core.schema`` with
``REGISTRY_SCHEMA_FILE``), its spec (``registry.spec.check``), its read calls (``registry.executor``'s
``read``: Get/Describe/List only) and its pure planner (``registry.planner.plan``). This module only
chooses the resource, finds what the resource declared before (the deployed template, as ``plan`` does
for Custom::EcrRepos), and says the planner's actions part by part: ``+`` added, ``~`` changed, ``-``
removed, ``x`` another's (refused), ``!`` over ECR's limit, ``=`` as declared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Problem
from ..core.schema import REGISTRY_SCHEMA_FILE, coerce, is_intrinsic, schema_problems
from .template import Template, load

REGISTRY_TYPE = "Custom::EcrRegistry"
REPOS_TYPE = "Custom::EcrRepos"
_ANY_REGION = "*"  # validate knows no region: no destination is "this registry"


# --- choosing the resource -----------------------------------------------------------------------


def is_registry(path: str, logical_id: str | None) -> bool:
    """Whether plan/drift of ``path`` work on a Custom::EcrRegistry: ``logical_id`` names one, or none is
    named and the template has no Custom::EcrRepos but has a Custom::EcrRegistry."""
    template = load(path)
    if logical_id:
        resource = template.resources.get(logical_id)
        return isinstance(resource, dict) and resource.get("Type") == REGISTRY_TYPE
    return not template.custom_resources(REPOS_TYPE) and bool(template.custom_resources(REGISTRY_TYPE))


# --- validate ------------------------------------------------------------------------------------


def problems(properties: dict[str, Any], partition: str = "aws") -> list[Problem]:
    """The problems of a template's Custom::EcrRegistry properties, as the Lambda words them.

    The schema's (``describe_error``), a value that is an intrinsic function taken to be of the right
    type; then, when nothing but the ServiceToken is an intrinsic, the spec's own checks (unique Sids,
    ECR actions, an upstream's credential, a template's repository settings) for any region and account."""
    data = coerce(properties, name=REGISTRY_SCHEMA_FILE)
    found = schema_problems(data, allow_intrinsics=True, name=REGISTRY_SCHEMA_FILE)
    if found or _holds_intrinsic({k: v for k, v in data.items() if k != "ServiceToken"}):
        return found
    from ..registry import spec

    _, found = spec.check({**data, "ServiceToken": "-"}, account="", region=_ANY_REGION, partition=partition)
    return found


def _holds_intrinsic(value: Any) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, dict):
        return any(_holds_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_intrinsic(v) for v in value)
    return False


# --- plan and drift --------------------------------------------------------------------------------

CREATE, UPDATE, REMOVE, CONFLICT, LIMIT, KEEP = "create", "update", "remove", "conflict", "limit", "keep"
SYMBOLS = {CREATE: "+", UPDATE: "~", REMOVE: "-", CONFLICT: "x", LIMIT: "!", KEEP: "="}
_PLAN_WORDS = {CREATE: "to add", UPDATE: "to change", REMOVE: "to remove", CONFLICT: "another's: refused",
               LIMIT: "over ECR's limit: refused", KEEP: "unchanged"}
_DRIFT_WORDS = {CREATE: "missing", UPDATE: "differs", REMOVE: "not declared, still there", CONFLICT: "another's",
                LIMIT: "over ECR's limit", KEEP: "as declared"}
FIELDS = ("PolicyStatements", "ReplicationSourceAccountIds", "ReplicationRules", "PullThroughCacheRules",
          "RepositoryCreationTemplates", "Scanning", "PullTimeUpdateExclusions")
SCANNING_KEY = "configuration"  # the registry has one scanning configuration


@dataclass(frozen=True)
class Part:
    """One part of the registry and what the planner would do with it."""

    kind: str  # CREATE, UPDATE, REMOVE, CONFLICT, LIMIT or KEEP
    field: str  # the property that declares it (FIELDS)
    key: str  # which one: a Sid, an account, a rule, a prefix, an ARN ("" for Scanning)
    details: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"action": self.kind, "property": self.field, "key": self.key, "details": list(self.details)}


@dataclass
class RegistryReport:
    """``plan`` or ``drift`` of one Custom::EcrRegistry."""

    command: str  # "plan" or "drift"
    template: str
    logical_id: str
    stack_name: str
    region: str
    account: str | None
    stack_id: str | None
    previous: str  # where the previous (plan) or declared (drift) properties come from
    physical_id: str | None
    parts: list[Part] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def differences(self) -> list[Part]:
        return [p for p in self.parts if p.kind != KEEP]

    @property
    def refused(self) -> bool:
        return any(p.kind in (CONFLICT, LIMIT) for p in self.parts)

    def as_json(self) -> dict[str, Any]:
        counts = {kind: sum(1 for p in self.parts if p.kind == kind) for kind in SYMBOLS}
        return {"type": REGISTRY_TYPE, "template": self.template, "logicalId": self.logical_id,
                "stackName": self.stack_name, "stackId": self.stack_id, "region": self.region,
                "account": self.account, "previous": self.previous, "physicalId": self.physical_id,
                "refused": self.refused, "summary": counts, "parts": [p.as_json() for p in self.parts]}


def _locate(path: str, *, logical_id: str | None = None, **kwargs: Any) -> Any:
    from .common import pick_resource
    from .plan import locate
    from .template import load

    template = load(path)
    return locate(template, pick_resource(template, logical_id, REGISTRY_TYPE), **kwargs)


def _spec_of(where: Any, properties: dict[str, Any], *, template: bool) -> Any:
    """The registry spec of resolved ``properties``; CliError with a line per problem (template's lines
    when ``template``, else the deployed properties' paths)."""
    from ..registry import ownership, spec
    from .common import problems_error
    from .plan import problem_lines

    account = where.account or "000000000000"
    stack_id = where.stack_id or where.owner().stack_id
    desired, found = spec.check(properties, account=account, region=where.region, partition=where.partition,
                                sid_prefix=ownership.sid_prefix(stack_id, where.logical_id))
    if found or desired is None:
        if template:
            raise problems_error(f"{where.template.path}: {where.logical_id}'s properties",
                                 problem_lines(where.template, where.logical_id, found))
        from .common import CliError

        raise CliError("the deployed properties are invalid: " + "; ".join(map(str, found)))
    return desired


def _previous_of(where: Any, deployed_properties: dict[str, Any]) -> Any:
    from ..registry import ownership, spec

    assert where.stack_id is not None
    return spec.previous(deployed_properties, account=where.account or "000000000000", region=where.region,
                         partition=where.partition, sid_prefix=ownership.sid_prefix(where.stack_id, where.logical_id))


def _read(where: Any, *specs: Any) -> Any:
    from ..registry.executor import Executor
    from .common import reading_registry

    with reading_registry():
        return Executor(client=where.target.client("ecr"), settle=0).read(*specs)


def plan(path: str, *, logical_id: str | None = None, stack_name: str | None = None, stack_id: str | None = None,
         parameters: dict[str, str] | None = None, target: Any = None) -> RegistryReport:
    """What a Create (no stack, or the deployed template lacks the resource) or an Update of the
    Custom::EcrRegistry would do, part by part, from the registry as read (read calls only)."""
    from ..registry import ownership, planner, spec
    from .common import problems_error
    from .plan import problem_lines

    where = _locate(path, logical_id=logical_id, stack_name=stack_name, stack_id=stack_id, target=target)
    desired = _spec_of(where, where.template_properties(parameters or {}), template=True)
    old, physical = None, None
    if where.deployed is None:
        previous = f"none ({where.reason or 'no stack'}): the plan is the resource's Create"
    elif where.deployed.properties is None:
        previous = "none (the deployed template has no such resource): the plan is its Create"
    else:
        physical = where.deployed.physical_id
        previous = "the deployed template (GetTemplate) with the stack's parameters"
        if not ownership.owns_nothing(physical):
            old = _previous_of(where, where.deployed.properties)
    state = _read(where, desired, *(o for o in (old,) if o is not None))
    scope = spec.scope_problems(desired, state.scope)
    if scope:
        raise problems_error(f"{where.template.path}: {where.logical_id}'s properties",
                             problem_lines(where.template, where.logical_id, scope))
    # A Create's parts are made after the plan: whatever exists under a declared key is another's.
    since = ownership.created_at(physical) if physical else None
    planned = planner.plan(desired, old, state, since=since)
    return RegistryReport("plan", path, where.logical_id, where.stack_name, where.region, where.account,
                          where.stack_id, previous, physical, parts(desired, old, state, planned),
                          _yaml_warnings(where.template, where.logical_id))


def drift(path: str, *, logical_id: str | None = None, stack_name: str | None = None, stack_id: str | None = None,
          parameters: dict[str, str] | None = None, target: Any = None) -> RegistryReport:
    """Every declared part compared with the registry: the plan of an Update from the declared
    properties to themselves (what such an Update writes back)."""
    from ..registry import ownership, planner

    where = _locate(path, logical_id=logical_id, stack_name=stack_name, stack_id=stack_id, target=target)
    deployed = where.deployed
    physical = None
    if deployed is not None and deployed.properties is not None:
        desired = _spec_of(where, deployed.properties, template=False)
        physical, source, warnings = deployed.physical_id, "the deployed template (GetTemplate) with the stack's " \
                                                             "parameters", []
    else:
        reason = where.reason or ("the deployed template has no such resource" if deployed else "no stack")
        desired = _spec_of(where, where.template_properties(parameters or {}), template=True)
        source, warnings = f"this template ({reason})", _yaml_warnings(where.template, where.logical_id)
    state = _read(where, desired)
    planned = planner.plan(desired, desired, state, since=ownership.created_at(physical))
    return RegistryReport("drift", path, where.logical_id, where.stack_name, where.region, where.account,
                          where.stack_id, source, physical, parts(desired, desired, state, planned), warnings)


def _yaml_warnings(template: Template, logical_id: str) -> list[str]:
    """``file:line: warning: path: note`` for each YAML pitfall in ``logical_id``'s definition, in line order."""
    from ..core.errors import format_path

    base = ("Resources", logical_id)
    return [f"{template.path}:{line}: warning: {format_path(location)}: {note}"
            for location, (line, note) in sorted(template.notes.items(), key=lambda item: item[1][0])
            if location[:2] == base]


def parts(desired: Any, old: Any, state: Any, planned: Any) -> list[Part]:
    """The planner's actions (or its refusal) as one Part per registry part, in the properties' order."""
    from ..registry import planner, spec

    if planned.conflicts or planned.limits:
        out = [Part(CONFLICT, c.field, c.key, ("exists and is not this resource's: remove it, or set "
                                                 "AdoptExisting: true to take it over",)) for c in planned.conflicts]
        out += [Part(LIMIT, limit.field, "", (f"would hold {limit.size} ({limit.foreign} of them others'); ECR allows "
                                              f"{limit.limit}",)) for limit in planned.limits]
        return out
    actions = planned.actions
    out: list[Part] = []

    # The registry policy: statements by Sid.
    current = planner.statements_by_sid(state.policy)
    write = next((a for a in actions if isinstance(a, planner.WritePolicy)), None)
    prefix = desired.sid_prefix

    def statement_part(statement: Any) -> Part:
        if statement.declared is not None:
            name, key = "PolicyStatements", statement.declared
        else:
            name, key = "ReplicationSourceAccountIds", statement.sid.removeprefix(prefix + spec.REPLICATION_SID)
        have = current.get(statement.sid)
        if have is None:
            return Part(CREATE, name, key, (_compact(statement.document),))
        if write is not None and not planner.same_statement(have, statement.text):
            return Part(UPDATE, name, key, (f"- {_compact(have)}", f"+ {_compact(statement.document)}"))
        return Part(KEEP, name, key)

    out += [statement_part(s) for s in desired.statements if s.declared is not None]
    out += [statement_part(s) for s in desired.statements if s.declared is None]
    if write is not None:
        kept = {s.sid for s in write.add}
        for sid in sorted(write.remove - kept):
            label = sid[len(prefix):] if sid.startswith(prefix) else sid
            out.append(Part(REMOVE, "PolicyStatements", label, (_compact(current[sid]),) if sid in current else ()))

    # Replication rules: by content.
    rules_now = [spec.replication_rule_of(r) for r in state.replication]
    replication = next((a for a in actions if isinstance(a, planner.WriteReplication)), None)
    for rule in desired.replication_rules:
        out.append(Part(KEEP if rule in rules_now else CREATE, "ReplicationRules", rule.describe()))
    for rule in (replication.remove if replication else ()):
        if rule not in desired.replication_rules:
            out.append(Part(REMOVE, "ReplicationRules", rule.describe()))

    # Pull-through cache rules and creation templates: by prefix.
    out += _by_prefix(actions, "PullThroughCacheRules", desired.cache_rules, state.cache_rules, spec.cache_rule_of,
                      planner.CreateCacheRule, planner.UpdateCacheRule, planner.DeleteCacheRule)
    out += _by_prefix(actions, "RepositoryCreationTemplates", desired.templates, state.templates, spec.template_of,
                      planner.CreateTemplate, planner.UpdateTemplate, planner.DeleteTemplate)

    # Scanning: one configuration.
    scan = next((a for a in actions if isinstance(a, planner.PutScanning)), None)
    if scan is not None:
        before, after = _scanning(state.scanning), _scanning(scan.scanning)
        if desired.scanning is None:
            out.append(Part(REMOVE, "Scanning", SCANNING_KEY, (f"{before} -> {after} (ECR's default)",)))
        else:
            out.append(Part(UPDATE if state.scanning != spec.DEFAULT_SCANNING else CREATE, "Scanning", SCANNING_KEY,
                            (f"{before} -> {after}",)))
    elif desired.scanning is not None:
        out.append(Part(KEEP, "Scanning", SCANNING_KEY, (_scanning(desired.scanning),)))

    # Pull-time update exclusions: by ARN.
    adds = {a.arn for a in actions if isinstance(a, planner.RegisterExclusion)}
    out += [Part(CREATE if arn in adds else KEEP, "PullTimeUpdateExclusions", arn) for arn in desired.exclusions]
    out += [Part(REMOVE, "PullTimeUpdateExclusions", a.arn) for a in actions
            if isinstance(a, planner.DeregisterExclusion)]
    if desired.adopt_existing:
        out = [_adopted(p, old, state) for p in out]
    order = {name: i for i, name in enumerate(FIELDS)}
    return sorted(out, key=lambda p: order[p.field])


_TAKEN_OVER = "taken over: it exists and this resource did not declare it before (AdoptExisting: true)"


def _adopted(part: Part, old: Any, state: Any) -> Part:
    """``part`` with a note when AdoptExisting makes it this resource's (it exists, ``old`` lacks it)."""
    from ..registry.spec import DEFAULT_SCANNING

    owned = old  # None (a Create): nothing is this resource's yet
    exists = {
        "PullThroughCacheRules": lambda: part.key in state.cache_rules and part.key not in getattr(owned, "cache_rules", {}),
        "RepositoryCreationTemplates": lambda: part.key in state.templates and part.key not in getattr(owned, "templates",
                                                                                                       {}),
        "PullTimeUpdateExclusions": lambda: part.key in state.exclusions and part.key not in getattr(owned, "exclusions",
                                                                                                     ()),
        "Scanning": lambda: state.scanning != DEFAULT_SCANNING and getattr(owned, "scanning", None) is None,
    }.get(part.field)
    if part.kind in (CREATE, REMOVE) or exists is None or not exists():
        return part
    return Part(part.kind, part.field, part.key, (*part.details, _TAKEN_OVER))


def _by_prefix(actions: Any, name: str, declared: dict[str, Any], actual: dict[str, dict[str, Any]], parse: Any,
               create: type, update: type, delete: type) -> list[Part]:
    created = {_prefix_of(a) for a in actions if isinstance(a, create)}
    updated = {_prefix_of(a) for a in actions if isinstance(a, update)}
    deleted = {a.prefix for a in actions if isinstance(a, delete)}
    out = []
    for prefix, want in sorted(declared.items()):
        have = parse(actual[prefix]) if prefix in actual else None
        if prefix in created and prefix in deleted:
            out.append(Part(UPDATE, name, prefix, ("replaced (deleted and created: ECR cannot change this in place)",
                                                   *_field_changes(have, want))))
        elif prefix in created:
            out.append(Part(CREATE, name, prefix, tuple(_fields(want))))
        elif prefix in updated:
            out.append(Part(UPDATE, name, prefix, tuple(_field_changes(have, want))))
        else:
            out.append(Part(KEEP, name, prefix))
    out += [Part(REMOVE, name, prefix) for prefix in sorted(deleted - set(declared))]
    return out


def _prefix_of(action: Any) -> str:
    part = getattr(action, "rule", None) or getattr(action, "template")
    return str(part.prefix)


def _field_changes(have: Any, want: Any) -> list[str]:
    """``field: before -> after`` for each field of two parts (frozen dataclasses) that differs."""
    if have is None:
        return []
    from dataclasses import fields

    lines = []
    for item in fields(want):
        before, after = getattr(have, item.name), getattr(want, item.name)
        if before != after:
            lines.append(f"{item.name.replace('_', ' ')}: {_short(before)} -> {_short(after)}")
    return lines


def _fields(part: Any) -> list[str]:
    """``field: value`` for each field of a new part (a frozen dataclass) that is set, its prefix aside."""
    from dataclasses import fields

    return [f"{item.name.replace('_', ' ')}: {_short(getattr(part, item.name))}" for item in fields(part)
            if item.name != "prefix" and getattr(part, item.name) not in (None, "", ())]


def _short(value: Any) -> str:
    if value in (None, "", ()):
        return "none"
    if isinstance(value, str) and not value.startswith("{"):
        return value  # a name, an ARN: whole
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."  # a policy: its start


def _scanning(scanning: Any) -> str:
    rules = "; ".join(f"{frequency} {', '.join(filters)}" for frequency, filters in scanning.rules) or "no rules"
    return f"{scanning.scan_type} ({rules})"


def _compact(document: Any) -> str:
    """A statement as one line of JSON, whole, without its Sid (the part's key says it); spaced, so that
    the demo can wrap it."""
    if isinstance(document, dict):
        document = {k: v for k, v in document.items() if k != "Sid"}
    return json.dumps(document, sort_keys=True)


def as_json(report: RegistryReport) -> str:
    return json.dumps(report.as_json(), indent=2) + "\n"


def as_parts_text(found: list[Part], command: str) -> list[str]:
    """Each part's line under its property, then its details (``plan``'s or ``drift``'s words)."""
    words = _PLAN_WORDS if command == "plan" else _DRIFT_WORDS
    lines: list[str] = []
    current = None
    for part in found:
        if part.field != current:
            lines.append(part.field)
            current = part.field
        key = f" {part.key}" if part.key else ""
        lines.append(f"  {SYMBOLS[part.kind]}{key}  ({words[part.kind]})")
        lines.extend(f"      {line}" for line in part.details)
    return lines


def as_text(report: RegistryReport) -> str:
    words = _PLAN_WORDS if report.command == "plan" else _DRIFT_WORDS
    title = "Plan for" if report.command == "plan" else "Drift of"
    lines = [f"{title} {report.logical_id} ({REGISTRY_TYPE}, {report.template}) in stack {report.stack_name}, "
             f"{report.region}, account {report.account or 'unknown'}",
             f"{'Previous' if report.command == 'plan' else 'Declared'} properties: {report.previous}"]
    if report.physical_id:
        lines.append(f"Physical id: {report.physical_id}")
    lines.append("")
    lines += as_parts_text(report.parts, report.command)
    if not report.parts:
        lines.append("(no parts declared)")
    lines.append("")
    counts = {kind: sum(1 for p in report.parts if p.kind == kind) for kind in SYMBOLS}
    summary = ", ".join(f"{counts[k]} {words[k]}" for k in SYMBOLS if counts[k])
    if report.command == "plan":
        if report.refused:
            lines.append(f"The {'Update' if report.physical_id else 'Create'} would fail before any write: {summary}.")
        else:
            lines.append(f"Plan: {summary or 'nothing declared'}.")
    elif report.differences:
        lines.append(f"Drift: {len(report.differences)} of {len(report.parts)} parts ({summary}).")
        lines.append("Repair: an Update of the resource writes back every declared part (CloudFormation sends one "
                     "when a property changes).")
    else:
        lines.append(f"No drift: the {len(report.parts)} declared parts are as declared.")
    return "\n".join(lines) + "\n"
