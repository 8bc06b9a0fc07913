"""``ecr-repos plan``: what an Update with a template's properties would do, from read calls only.

The same code paths as the Lambda: ``spec.check`` builds the desired state, the executor's read
methods read the registry, ``planner.plan_apply`` decides. Nothing here writes.

Ownership (the provider's owner tag is a hash of the stack's id and the logical id, and the CLI
is given a stack name): with ``--stack-id`` the hash is exact; otherwise CloudFormation's
DescribeStacks looks the stack up and, when it exists, its id makes the hash exact too. When the
stack does not exist (a first deployment) or cannot be looked up, a repository counts as this
resource's when its readable tags ``ecr-repos:stack`` and ``ecr-repos:logical-id`` match.

Previous properties: when the stack exists, the deployed template (GetTemplate, stage Original) is
resolved with the stack's parameters and pseudo parameters from its ARN, and the physical id comes
from DescribeStackResource: the plan is then the Update's own (``reconcile.read_and_plan``), with
the physical id kept or replaced and, when replaced, the Delete of the old id CloudFormation sends
after the stack update (``planner.plan_delete`` with the old properties' EmptyOnDelete). Otherwise
(no stack, or those calls denied) the user tags of the repositories this resource owns stand for
the tags declared before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from .. import awserror
from ..repos import access, ownership, spec
from ..core.errors import format_path
from ..repos.executor import Executor
from ..repos.outputs import partition_of
from ..repos.ownership import Owner
from ..repos.planner import (
    ADOPT,
    CREATE,
    DEFER,
    DELETE,
    KEEP,
    UPDATE,
    DeleteIfEmpty,
    DeleteRepository,
    DeleteRepositoryPolicy,
    PutLifecyclePolicy,
    SetMutability,
    SetRepositoryPolicy,
    SetScanOnPush,
    TagRepository,
    UntagRepository,
    plan_apply,
    plan_delete,
)
from ..repos.state import RepoState
from ..repos.planner import RELEASE as PLANNER_RELEASE
from ..repos.reconcile import read_and_plan
from ..repos.spec import RepoSpec, ResourceSpec
from . import describe
from .common import CliError, Progress, is_unreachable, pick_resource, problems_error, reading_registry
from .resolve import PLACEHOLDER, ParameterError, condition, context_for, known_after_deploy_paths, resolve, \
    unresolved_paths
from .template import Template, TemplateError, load, loads
from .validate import WARNING, resource_findings, template_findings

PLACEHOLDER_TOKEN = "arn:aws:lambda:us-east-1:000000000000:function:ecr-repos-plan"
PLAN_GEN = "000000000000"  # the generation the plan pretends to write; never shown

# Kinds of a repository in the plan, in display order.
CONFLICT = "conflict"
REMOVE = "remove"
RETAIN = "retain"
RELEASE = "release"
KINDS = (CREATE, UPDATE, ADOPT, REMOVE, RETAIN, RELEASE, CONFLICT, KEEP)
SYMBOLS = {CREATE: "+", UPDATE: "~", ADOPT: ">", REMOVE: "-", RETAIN: "!", RELEASE: "<", CONFLICT: "x", KEEP: "="}

# The owner was matched ...
BY_STACK_ID = "stack-id"  # ... with the hash of a --stack-id
BY_DESCRIBE = "describe-stacks"  # ... with the hash of the id DescribeStacks returned
BY_TAGS = "tags"  # ... by the readable stack and logical-id tags

# The previous properties came from ...
FROM_DEPLOYED = "deployed-template"  # ... the deployed template and the stack's parameters (exact)
FROM_NONE = "none"  # ... nowhere: the deployed template has no such resource, the Update is its Create
FROM_TAGS = "repository-tags"  # ... a guess: the user tags of the repositories this resource owns


ONE_LINE = ("mutability", "scan_on_push", "encryption")  # settings shown as one value, not lines


@dataclass
class Change:
    """One setting that differs: ``before``/``after`` are lines (a policy) or one-element lists."""

    setting: str
    before: list[str]
    after: list[str]

    def as_json(self) -> dict[str, Any]:
        one = self.setting in ONE_LINE
        return {"setting": self.setting,
                "before": (self.before[0] if self.before else None) if one else self.before,
                "after": (self.after[0] if self.after else None) if one else self.after}


@dataclass
class RepoPlan:
    name: str
    kind: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    actions: list[str] = field(default_factory=list)  # ECR operations the provider would call

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "change": self.kind, "note": self.note or None,
                "settings": [c.as_json() for c in self.changes], "operations": self.actions}


@dataclass
class PlanReport:
    template: str
    logical_id: str
    stack_name: str
    region: str
    account: str | None
    owner_match: str
    stack_id: str | None
    repos: list[RepoPlan]
    old_source: str = FROM_TAGS
    old_reason: str | None = None  # why the deployed properties were not used
    physical_id: str | None = None  # the current one (deployed properties only)
    keeps_physical_id: bool | None = None
    warnings: list[str] = field(default_factory=list)  # YAML pitfalls of the resource (stderr, not the plan)
    # Properties holding a !Ref/!GetAtt of a resource of the same template: known after deploy.
    known_after_deploy: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for repo in self.repos:
            out[repo.kind] += 1
        return out

    @property
    def conflicts(self) -> list[RepoPlan]:
        return [r for r in self.repos if r.kind == CONFLICT]

    def as_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "logicalId": self.logical_id,
            "stackName": self.stack_name,
            "stackId": self.stack_id,
            "region": self.region,
            "account": self.account,
            "ownerMatchedBy": self.owner_match,
            "previous": {"source": self.old_source, "reason": self.old_reason, "physicalId": self.physical_id,
                         "keepsPhysicalId": self.keeps_physical_id},
            "knownAfterDeploy": self.known_after_deploy,
            "summary": self.counts(),
            "repositories": [r.as_json() for r in self.repos],
        }


@dataclass
class Target:
    """Where the registry is: a region and optionally an endpoint (a moto server)."""

    region: str | None = None
    endpoint_url: str | None = None
    session: Any = None  # a boto3.Session; tests pass one with event hooks

    def client(self, service: str) -> Any:
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16)
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url, config=config)


def _target(target: Target) -> Target:
    import boto3

    session = target.session or boto3.Session()
    region = target.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise CliError("no region: pass --region or set AWS_REGION")
    return Target(region, target.endpoint_url, session)


def _account(target: Target) -> str | None:
    """The caller's account (for AWS::AccountId), ``None`` when STS refuses to say. Without
    credentials or a reachable endpoint no later call can succeed either: that error is raised."""
    try:
        return str(target.client("sts").get_caller_identity()["Account"])
    except Exception as exc:  # noqa: BLE001 - denied, ...: the account only fills AWS::AccountId
        if is_unreachable(exc):
            raise
        return None


def _lookup_stack(target: Target, stack: str) -> tuple[dict[str, Any] | None, str]:
    """The stack (by name or id) when CloudFormation knows it, else ``None`` and why: the caller
    then matches owners by readable tags and guesses the previous properties."""
    try:
        stacks = target.client("cloudformation").describe_stacks(StackName=stack).get("Stacks", [])
    except Exception as exc:  # noqa: BLE001 - "does not exist" is a ValidationError; any failure means "unknown"
        if "does not exist" in str(exc):
            return None, "stack not found"
        return None, f"DescribeStacks failed: {awserror.code(exc) or type(exc).__name__}"
    live = [s for s in stacks if s.get("StackStatus") != "DELETE_COMPLETE"]
    return (live[0], "") if live else (None, "stack not found")


@dataclass
class Deployed:
    """The resource as CloudFormation holds it: the properties its last Create/Update was sent
    (``None``: the deployed template has no such resource) and its physical id."""

    properties: dict[str, Any] | None
    physical_id: str | None = None


def stack_resources(target: Target, stack_id: str) -> dict[str, str]:
    """The stack's resources as they are now, logical id -> physical id (ListStackResources), for
    the Ref and Fn::GetAtt of the resource's properties; empty when the call fails (those values
    are then known after deploy)."""
    try:
        pages = target.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_id)
        return {str(r["LogicalResourceId"]): str(r["PhysicalResourceId"]) for page in pages
                for r in page.get("StackResourceSummaries", [])
                if r.get("PhysicalResourceId") and r.get("ResourceStatus") not in ("DELETE_COMPLETE", "CREATE_FAILED")}
    except Exception:  # noqa: BLE001 - denied, throttled, ...: placeholders instead
        return {}


def _deployed(target: Target, stack: dict[str, Any], logical_id: str, resources: dict[str, str]) -> Deployed:
    """Read the deployed template, resolve ``logical_id``'s properties with the stack's parameters
    (pseudo parameters from its ARN) and read its physical id. CliError when any of it fails."""
    cfn = target.client("cloudformation")
    stack_id = str(stack["StackId"])
    try:
        body = cfn.get_template(StackName=stack_id, TemplateStage="Original")["TemplateBody"]
    except Exception as exc:  # noqa: BLE001 - denied, throttled, ...: plan on without it
        raise CliError(f"GetTemplate failed: {awserror.code(exc) or type(exc).__name__}") from exc
    name = f"the deployed template of {stack['StackName']}"
    try:
        template = loads(body if isinstance(body, str) else json.dumps(body), name)
    except TemplateError as exc:
        raise CliError(str(exc)) from exc
    if logical_id not in template.resources:
        return Deployed(None)
    parameters = {str(p["ParameterKey"]): str(p.get("ResolvedValue", p.get("ParameterValue", "")))
                  for p in stack.get("Parameters", [])}
    arn = stack_id.split(":")
    properties = desired_properties(template, logical_id, parameters, region=arn[3], account=arn[4],
                                    stack_name=str(stack["StackName"]), stack_id=stack_id, deployed=resources)
    try:
        detail = cfn.describe_stack_resource(StackName=stack_id, LogicalResourceId=logical_id)
    except Exception as exc:  # noqa: BLE001 - as above
        raise CliError(f"DescribeStackResource failed: {awserror.code(exc) or type(exc).__name__}") from exc
    return Deployed(properties, detail["StackResourceDetail"].get("PhysicalResourceId"))


def desired_properties(
    template: Template, logical_id: str, parameters: dict[str, str], *, region: str, account: str | None,
    stack_name: str, stack_id: str | None, deployed: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The resource's properties with everything resolvable resolved (``deployed``: the stack's
    resources, logical id -> physical id, for their Ref and Fn::GetAtt); CliError naming each value
    that is still an intrinsic (``file:line: path: ...``)."""
    try:
        ctx = context_for(template.data, parameters, region=region, account=account, stack_name=stack_name,
                          stack_id=stack_id, deployed=deployed)
    except ParameterError as exc:
        raise CliError(f"{template.path}: {exc}") from exc
    resource = template.resources[logical_id]
    cond = resource.get("Condition")
    if isinstance(cond, str) and condition(cond, ctx) is False:
        raise CliError(f"{template.path}: {logical_id} is not created with these parameters "
                       f"(its Condition {cond} is false)")
    properties = resolve(resource.get("Properties") or {}, ctx)
    if not isinstance(properties, dict):
        raise CliError(f"{template.path}: {logical_id}.Properties must be a map")
    token = properties.get("ServiceToken")
    if unresolved_paths(token) or (isinstance(token, str) and PLACEHOLDER in token):
        properties["ServiceToken"] = PLACEHOLDER_TOKEN  # the plan does not call the provider
    left = unresolved_paths(properties)
    if left:
        base = ("Resources", logical_id, "Properties")
        lines = []
        for location, value in left:
            where = base + location
            name = next(iter(value))
            fix = "pass the value with --parameters" if name == "Ref" else "write the value itself"
            lines.append(f"{template.path}:{template.line_of(where)}: {format_path(where)}: "
                         f"cannot resolve {name} before deployment; {fix}")
        raise problems_error(f"{template.path}: {logical_id}'s properties", sorted(lines, key=_line_number))
    return properties


def _line_number(line: str) -> tuple[int, str]:
    head = line.split(": ", 1)[0].rsplit(":", 1)
    return (int(head[1]) if len(head) == 2 and head[1].isdigit() else 0, line)


def template_warnings(template: Template) -> list[str]:
    """``file:line: warning: template: duplicate key ...`` for each duplicate key of the file:
    CloudFormation deploys the last one, so a command working on the rest says so first."""
    return [finding.as_warning() for finding in template_findings(template)]


def precheck(path: str, logical_id: str | None, region: str | None, warn: Callable[[str], None], *,
             properties: bool = True) -> tuple[Template, str]:
    """What needs no AWS call, before any: load the template, ``warn`` of its duplicate keys, pick
    the resource, ``warn`` of its YAML pitfalls and of an oversized property map, and (with
    ``properties``) raise CliError with every problem of its properties as ``validate`` finds them
    (intrinsics accepted where the type could match; resolved values are checked again later)."""
    template = load(path)
    for line in template_warnings(template):
        warn(line)
    logical_id = pick_resource(template, logical_id)
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    findings = resource_findings(template, logical_id, partition_of(region))
    for finding in findings:
        if finding.severity == WARNING:
            warn(finding.as_warning())
    errors = [str(f) for f in findings if f.severity != WARNING]
    if properties and errors:
        raise problems_error(f"{template.path}: {logical_id}'s properties", errors)
    return template, logical_id


def problem_lines(template: Template, logical_id: str, problems: list[Any]) -> list[str]:
    """``file:line: path: message`` for each problem of ``logical_id``'s properties, in line order,
    with the template's YAML hint (an unquoted account id read as a number) where it has one."""
    base = ("Resources", logical_id, "Properties")
    lines = []
    for problem in problems:
        where = base + tuple(problem.location)
        message = template.with_yaml_note(where, problem.message)
        lines.append((template.line_of(where), f"{template.path}:{template.line_of(where)}: "
                                               f"{format_path(where)}: {message}"))
    return [text for _, text in sorted(lines, key=lambda item: item[0])]


def checked(template: Template, logical_id: str, properties: dict[str, Any], region: str) -> ResourceSpec:
    """``logical_id``'s resolved properties checked as the provider checks them in ``region``; invalid
    ones raise CliError with a line per problem (``problem_lines``)."""
    desired, problems = spec.check(properties, partition_of(region), region=region)
    if problems or desired is None:
        raise problems_error(f"{template.path}: {logical_id}'s properties", problem_lines(template, logical_id, problems))
    return desired


def _owned(tags: dict[str, str] | None, owner: Owner, match: str) -> str:
    """ownership.classify, or with BY_TAGS the readable tags."""
    if tags is None:
        return ownership.UNOWNED
    if match != BY_TAGS:
        return ownership.classify(tags, owner)
    if not tags.get(ownership.OWNER):
        return ownership.UNOWNED
    same = tags.get(ownership.STACK) == owner.stack_name and tags.get(ownership.LOGICAL_ID) == owner.logical_id
    return ownership.OURS if same else ownership.OTHER


def _as_planner_sees(state: RepoState, owner: Owner, match: str) -> RepoState:
    """With BY_TAGS, present a repository matched by readable tags with this owner's hash."""
    if match == BY_TAGS and state.tags is not None and _owned(state.tags, owner, match) == ownership.OURS:
        fields = {k: getattr(state, k) for k in RepoState.__slots__}
        return RepoState(**{**fields, "tags": {**state.tags, ownership.OWNER: owner.token}})
    return state


@dataclass
class Located:
    """One Custom::EcrRepos of a template and where it lives: what ``plan`` and ``drift`` both learn
    before reading the registry (``locate``)."""

    template: Template
    logical_id: str
    stack_name: str
    target: Target  # the region and session resolved
    account: str | None  # None: STS would not say
    stack_id: str | None  # the given --stack-id, else DescribeStacks's, else None (no stack)
    match: str  # how owners are matched: BY_STACK_ID, BY_DESCRIBE or BY_TAGS
    deployed: Deployed | None  # None: no stack, or its deployed properties could not be read ...
    reason: str  # ... and why ("" when they were read)
    resources: dict[str, str] = field(default_factory=dict)  # the stack's, logical id -> physical id

    @property
    def region(self) -> str:
        assert self.target.region is not None
        return self.target.region

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def template_properties(self, parameters: dict[str, str]) -> dict[str, Any]:
        """The template's properties of the resource, resolved for this stack with ``parameters``."""
        return desired_properties(self.template, self.logical_id, parameters, region=self.region,
                                  account=self.account, stack_name=self.stack_name, stack_id=self.stack_id,
                                  deployed=self.resources)

    def owner(self) -> Owner:
        """The provider's owner of the resource; before the stack exists, its id as it would be
        (the hash then matches nothing, and BY_TAGS applies)."""
        stack_id = self.stack_id or (f"arn:{self.partition}:cloudformation:{self.region}:"
                                     f"{self.account or '000000000000'}:stack/{self.stack_name}/not-yet-created")
        return Owner(stack_id, self.logical_id)


def locate(template: Template, logical_id: str, *, stack_name: str | None = None,
           stack_id: str | None = None, target: Target | None = None) -> Located:
    """For ``logical_id`` of the ``precheck``ed template: resolve the region, read the caller's
    account, look the stack up and, when it exists, its deployed properties and physical id.
    Errors: TemplateError and CliError (bad template, no region, ...), and botocore's when no AWS
    call can succeed (no credentials, endpoint unreachable); a stack that cannot be read is only a
    ``reason``."""
    stack_name = stack_name or (stack_id.split("/")[1] if stack_id and stack_id.count("/") >= 2
                                else Path(template.path).stem)
    target = _target(target or Target())
    account = _account(target)
    stack, reason = _lookup_stack(target, stack_id or stack_name)
    if stack_id:
        match = BY_STACK_ID
    else:
        stack_id = str(stack["StackId"]) if stack else None
        match = BY_DESCRIBE if stack_id else BY_TAGS
    deployed = None
    resources: dict[str, str] = {}
    if stack is not None:
        resources = stack_resources(target, str(stack["StackId"]))
        try:
            deployed = _deployed(target, stack, logical_id, resources)
        except CliError as exc:
            reason = str(exc)
    return Located(template, logical_id, stack_name, target, account, stack_id, match, deployed, reason, resources)


def compute(
    path: str,
    *,
    logical_id: str | None = None,
    stack_name: str | None = None,
    stack_id: str | None = None,
    parameters: dict[str, str] | None = None,
    target: Target | None = None,
    progress: TextIO | None = None,
    warn: Callable[[str], None] | None = None,
) -> PlanReport:
    """The plan of one Custom::EcrRepos of the template at ``path`` against the registry. Warnings
    (duplicate keys, YAML pitfalls, an oversized map) go to ``warn`` as they are found, before any
    AWS call; without ``warn`` they end in the report's ``warnings``."""
    warnings: list[str] = []
    template, logical_id = precheck(path, logical_id, (target or Target()).region, warn or warnings.append)
    where = locate(template, logical_id, stack_name=stack_name, stack_id=stack_id, target=target)
    properties = where.template_properties(parameters or {})
    desired = checked(template, logical_id, properties, where.region)
    owner = where.owner()
    executor = Executor(client=where.target.client("ecr"))
    report = PlanReport(path, logical_id, where.stack_name, where.region, where.account, where.match, where.stack_id,
                        [])
    report.warnings = warnings
    report.known_after_deploy = [format_path(location) for location in known_after_deploy_paths(properties)]
    with reading_registry():
        if where.deployed is None:
            report.old_reason = where.reason
            report.repos = _plan(executor, desired, owner, where.match, progress)
        else:
            _plan_deployed(executor, desired, owner, where.deployed, where.partition, report)
    return report


def _inspect(executor: Executor, existing: dict[str, RepoState], declared: list[str], others: list[str],
             progress: TextIO | None) -> dict[str, RepoState]:
    """Read declared repositories fully and the rest's tags, counting repositories on a terminal."""
    bar = Progress("reading repositories", len(declared) + len(others), stream=progress)
    states: dict[str, RepoState] = {}
    try:
        for names, policies in ((declared, True), (others, False)):
            for start in range(0, len(names), 16):
                chunk = names[start:start + 16]
                states.update(executor.inspect(existing, chunk, policies=policies))
                bar.step(len(chunk))
    finally:
        bar.close()
    return states


def _plan(executor: Executor, desired: ResourceSpec, owner: Owner, match: str,
          progress: TextIO | None) -> list[RepoPlan]:
    existing = executor.list_repositories()
    declared = [n for n in desired.names if n in existing]
    others = sorted(n for n in existing if n not in desired.repos)
    read = _inspect(executor, existing, declared, others, progress)
    seen = {n: _as_planner_sees(s, owner, match) for n, s in read.items()}

    states: dict[str, RepoState | None] = {n: seen.get(n) for n in desired.names}
    # The previous properties are not known here: take the user tags a repository of ours carries
    # as the ones declared before, so that tags dropped from the template show as removed.
    old = ResourceSpec(repos={
        n: RepoSpec(name=n, tags=tuple(describe.user_tags(s.tags).items()))
        for n, s in states.items() if s is not None and ownership.classify(s.tags or {}, owner) == ownership.OURS
    })
    result = plan_apply(desired, states, owner, PLAN_GEN, old=old, old_gen=PLAN_GEN)
    out: list[RepoPlan] = []
    for change in result.changes:
        if change.repo not in desired.repos or change.phase:
            continue  # the planner's own clean-up of dropped names; reported below from the tags
        out.append(_describe_change(change.repo, change.change, change.actions, desired.repos[change.repo],
                                    states.get(change.repo)))
    out.extend(_conflicts(result.conflicts))
    _mark_oversized(out, result.oversized)

    removed = sorted(n for n in others if _owned(read[n].tags, owner, match) == ownership.OURS)
    images = executor.holds_images(removed) if removed else {}
    for name in removed:
        tags = read[name].tags or {}
        if ownership.is_adopted(tags):
            out.append(RepoPlan(name, RELEASE, note=_RELEASED, actions=["UntagResource"]))
        elif images.get(name):
            out.append(RepoPlan(name, RETAIN, note="no longer declared but holds images: kept, unless it was "
                                                   "declared with EmptyOnDelete: true"))
        else:
            out.append(RepoPlan(name, REMOVE, note="no longer declared and empty: deleted after the stack update",
                                actions=["DeleteRepository"]))
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda r: (order[r.kind], r.name))
    return out


def _plan_deployed(executor: Executor, desired: ResourceSpec, owner: Owner, deployed: Deployed, partition: str,
                   report: PlanReport) -> None:
    """The Update's own plan from the deployed properties, and the clean-up Delete of the old
    physical id when the Update replaces it."""
    old = None
    if deployed.properties is not None:
        old = spec.previous(deployed.properties, partition, region=report.region)  # as the handler: names and tags of invalid ones
    old_gen = ownership.generation_of(deployed.physical_id)
    plan, states = read_and_plan(executor, desired, old, owner, PLAN_GEN, old_gen)
    report.old_source = FROM_DEPLOYED if deployed.properties is not None else FROM_NONE
    report.physical_id = deployed.physical_id
    report.keeps_physical_id = plan.physical_id == deployed.physical_id if deployed.physical_id else None

    out: list[RepoPlan] = []
    for change in plan.changes:
        if change.repo in desired.repos and change.phase == 0:  # phase 1: the ledger, bookkeeping
            out.append(_describe_change(change.repo, change.change, change.actions, desired.repos[change.repo],
                                        states.get(change.repo)))
    out.extend(_conflicts(plan.conflicts))
    _mark_oversized(out, plan.oversized)
    # Dropped names: during the Update those only a failed attempt held; after it, the Delete of
    # the old physical id, which CloudFormation sends with the old properties when the id changes.
    during = [c for c in plan.changes if c.repo not in desired.repos and c.change != DEFER]
    after: list[Any] = []
    if deployed.physical_id and not report.keeps_physical_id:
        empty = {n: spec.empty_on_delete_of(deployed.properties, n) for n in plan.removed}
        after = list(plan_delete(list(plan.removed), states, owner, deployed.physical_id, empty).changes)
    may_hold = [c.repo for c in during + after
                if any(isinstance(a, DeleteIfEmpty) or (isinstance(a, DeleteRepository) and not a.force)
                       for a in c.actions)]
    images = executor.holds_images(may_hold) if may_hold else {}
    for change, when in [(c, "by the Update") for c in during] + [(c, "after the stack update") for c in after]:
        if change.change == PLANNER_RELEASE:
            out.append(RepoPlan(change.repo, RELEASE, note=_RELEASED, actions=["UntagResource"]))
        elif change.change == DELETE and images.get(change.repo):
            out.append(RepoPlan(change.repo, RETAIN, note="no longer declared but holds images and EmptyOnDelete "
                                                          "is false: kept"))
        elif change.change == DELETE:
            forced = any(isinstance(a, DeleteRepository) and a.force for a in change.actions)
            what = "deleted with its images (EmptyOnDelete: true)" if forced else "empty: deleted"
            out.append(RepoPlan(change.repo, REMOVE, note=f"no longer declared, {what} {when}",
                                actions=["DeleteRepository"]))
        # UNREF: another physical id still holds it; nothing happens to the repository
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda r: (order[r.kind], r.name))
    report.repos = out


def _conflicts(conflicts: tuple[Any, ...]) -> list[RepoPlan]:
    out = []
    for conflict in conflicts:
        note = f"owned by stack {conflict.owner_stack!r}" if conflict.owner_stack else \
            "exists and no stack owns it; set AdoptExisting: true to take it over"
        if conflict.encryption is not None:
            have, declared = conflict.encryption
            note = (f"encrypted {have}, declared {declared}: ECR fixes encryption at creation; declare what it has, "
                    "or use a new repository name")
        out.append(RepoPlan(conflict.repo, CONFLICT, note=note))
    return out


def _mark_oversized(out: list[RepoPlan], oversized: tuple[Any, ...]) -> None:
    """A repository whose merged policy would pass ECR's limit fails the Update before any change,
    as a conflict does."""
    for big in oversized:
        for repo in out:
            if repo.name == big.repo:
                repo.kind = CONFLICT
                repo.note = (f"its repository policy would be {big.length} characters, {big.foreign_length} of "
                             f"them statements others wrote; ECR allows {access.MAX_POLICY_CHARS}")


_RELEASED = "adopted: the provider's tags are removed, the repository and its images stay"


def _describe_change(name: str, kind: str, actions: tuple[Any, ...], want: RepoSpec,
                     state: RepoState | None) -> RepoPlan:
    plan = RepoPlan(name, kind, actions=_operations(actions))
    if kind == CREATE or state is None:
        plan.changes = [
            Change("mutability", [], [want.mutability]),
            Change("tag_exclusions", [], list(want.tag_exclusions)),
            Change("scan_on_push", [], [_bool(want.scan_on_push)]),
            Change("encryption", [], [spec.encryption_text(want.encryption, want.kms_key)]),
            Change("lifecycle_policy", [], describe.lifecycle_lines(want.lifecycle_policy)),
            Change("repository_policy", [], describe.policy_lines(want.repository_policy)),
            Change("tags", [], _tag_lines(want.tag_map)),
        ]
        plan.changes = [c for c in plan.changes if c.after]
        return plan
    if kind == ADOPT:
        plan.note = "exists and no stack owns it: taken over, images kept"
    for action in actions:
        if isinstance(action, SetMutability):
            before = spec.tag_mutability(state.immutable, state.tag_exclusions)
            after = spec.tag_mutability(action.immutable, action.tag_exclusions)
            if before != after:
                plan.changes.append(Change("mutability", [before], [after]))
            if set(state.tag_exclusions) != set(action.tag_exclusions):
                plan.changes.append(Change("tag_exclusions", sorted(state.tag_exclusions),
                                           sorted(action.tag_exclusions)))
        elif isinstance(action, SetScanOnPush):
            plan.changes.append(Change("scan_on_push", [_bool(state.scan_on_push)], [_bool(action.scan_on_push)]))
        elif isinstance(action, PutLifecyclePolicy):
            plan.changes.append(Change("lifecycle_policy", describe.lifecycle_lines(state.lifecycle_policy),
                                       describe.lifecycle_lines(action.text)))
        elif isinstance(action, SetRepositoryPolicy):
            plan.changes.append(Change("repository_policy", describe.policy_lines(state.repository_policy),
                                       describe.policy_lines(action.text)))
        elif isinstance(action, DeleteRepositoryPolicy):
            plan.changes.append(Change("repository_policy", describe.policy_lines(state.repository_policy), []))
    policy_written = any(isinstance(a, (SetRepositoryPolicy, DeleteRepositoryPolicy)) for a in actions)
    if kind in (ADOPT, UPDATE) and state.policies_read and not policy_written \
            and access.split(state.repository_policy)[1]:
        # Statements others wrote stay as they are: show them, so that nobody fears for them.
        lines = describe.policy_lines(state.repository_policy)
        plan.changes.append(Change("repository_policy", lines, lines))
    before = describe.user_tags(state.tags)
    after = dict(before)
    for action in actions:
        if isinstance(action, TagRepository):
            after.update({k: v for k, v in action.tags if not k.startswith(ownership.PREFIX)})
        elif isinstance(action, UntagRepository):
            for key in action.keys:
                after.pop(key, None)
    if after != before:
        plan.changes.append(Change("tags", _tag_lines(before), _tag_lines(after)))
    return plan


def _operations(actions: tuple[Any, ...]) -> list[str]:
    """The ECR operations of the actions, the provider's bookkeeping tags left out of the count."""
    names = {
        "CreateRepository": "CreateRepository", "SetMutability": "PutImageTagMutability",
        "SetScanOnPush": "PutImageScanningConfiguration", "PutLifecyclePolicy": "PutLifecyclePolicy",
        "DeleteLifecyclePolicy": "DeleteLifecyclePolicy", "SetRepositoryPolicy": "SetRepositoryPolicy",
        "DeleteRepositoryPolicy": "DeleteRepositoryPolicy", "TagRepository": "TagResource",
        "UntagRepository": "UntagResource", "DeleteRepository": "DeleteRepository",
    }
    out = []
    for action in actions:
        if isinstance(action, (TagRepository, UntagRepository)):
            keys = [t[0] for t in action.tags] if isinstance(action, TagRepository) else list(action.keys)
            if all(ownership.is_bookkeeping(k) for k in keys):
                continue  # only the provider's bookkeeping of physical ids
        out.append(names.get(type(action).__name__, type(action).__name__))
    return out


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _tag_lines(tags: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(tags.items())]
