"""``ecr-repos drift``: what was changed by hand in the registry, from read calls only.

The declared properties are the deployed ones when the stack exists (GetTemplate with the stack's
parameters, as ``ecr-repos plan`` reads them), else the template's. The differences are the plan
of a repairing Update to those properties (``provider.drift``): every declared repository read in
full by the executor's pool, ``planner.plan_apply`` deciding. So what ``drift`` reports is what an
Update that changes ``ReconcileToken`` repairs. Nothing here writes.

Exit codes as ``terraform plan -detailed-exitcode``: 0 no drift, 2 drift found, 1 error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import ownership, spec
from ..drift import ORDER, Difference, differences, drifted_repositories
from ..errors import EcrReposError, format_path
from ..executor import Executor, concurrency
from ..outputs import partition_of
from ..ownership import Owner
from ..planner import plan_apply
from ..reconcile import read_states
from .template import TemplateError, load
from .common import CliError, Progress, pick_resource
from .plan import (
    BY_DESCRIBE,
    BY_STACK_ID,
    BY_TAGS,
    PLAN_GEN,
    Target,
    _account,
    _as_planner_sees,
    _deployed,
    _lookup_stack,
    _target,
    desired_properties,
)

EXIT_CLEAN = 0
EXIT_FAILED = 1
EXIT_DRIFT = 2

FROM_DEPLOYED = "deployed-template"  # the stack's deployed template and parameters (exact)
FROM_TEMPLATE = "template"  # the given template: no stack, or its template could not be read


@dataclass
class DriftReport:
    template: str
    logical_id: str
    stack_name: str
    region: str
    account: str | None
    owner_match: str
    stack_id: str | None
    source: str
    source_reason: str | None
    physical_id: str | None
    repositories: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def drifted(self) -> list[str]:
        return drifted_repositories(self.differences)

    def as_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "logicalId": self.logical_id,
            "stackName": self.stack_name,
            "stackId": self.stack_id,
            "region": self.region,
            "account": self.account,
            "ownerMatchedBy": self.owner_match,
            "declared": {"source": self.source, "reason": self.source_reason or None, "physicalId": self.physical_id},
            "summary": {"repositories": self.repositories, "drifted": len(self.drifted),
                        "differences": len(self.differences)},
            "differences": [d.as_json() for d in self.differences],
        }


def compute(
    path: str,
    *,
    logical_id: str | None = None,
    stack_name: str | None = None,
    stack_id: str | None = None,
    parameters: dict[str, str] | None = None,
    target: Target | None = None,
    progress: TextIO | None = None,
) -> DriftReport:
    """The drift of one Custom::EcrRepos of the template at ``path``."""
    try:
        template = load(path)
    except TemplateError as exc:
        raise CliError(str(exc)) from exc
    logical_id = pick_resource(template, logical_id)
    stack_name = stack_name or (stack_id.split("/")[1] if stack_id and stack_id.count("/") >= 2 else Path(path).stem)
    target = _target(target or Target())
    assert target.region is not None
    account = _account(target)
    stack, reason = _lookup_stack(target, stack_id or stack_name)
    if stack_id:
        match = BY_STACK_ID
    else:
        stack_id = str(stack["StackId"]) if stack else None
        match = BY_DESCRIBE if stack_id else BY_TAGS
    properties = None
    physical_id = None
    if stack is not None:
        try:
            deployed = _deployed(target, stack, logical_id)
        except CliError as exc:
            reason = str(exc)
        else:
            if deployed.properties is None:
                reason = f"the deployed template has no {logical_id}"
            else:
                properties, physical_id = deployed.properties, deployed.physical_id
    source = FROM_DEPLOYED if properties is not None else FROM_TEMPLATE
    if properties is None:
        properties = desired_properties(template, logical_id, parameters or {}, region=target.region,
                                        account=account, stack_name=stack_name, stack_id=stack_id)
    partition = partition_of(target.region)
    desired, problems = spec.check(properties, partition)
    if problems or desired is None:
        if source == FROM_DEPLOYED:
            raise CliError("the deployed properties are invalid: " + "; ".join(
                f"{format_path(p.location)}: {p.message}" for p in problems))
        base = ("Resources", logical_id, "Properties")
        raise CliError("\n".join(
            f"{template.path}:{template.line_of(base + p.location)}: {format_path(base + p.location)}: {p.message}"
            for p in problems))
    owner = Owner(stack_id or f"arn:{partition}:cloudformation:{target.region}:{account or '000000000000'}:"
                              f"stack/{stack_name}/not-yet-created", logical_id)
    executor = Executor(client=_ecr_client(target))
    bar = Progress("reading repositories", len(desired.repos), stream=progress)
    try:
        states = read_states(executor, desired, desired, full=True, on_read=lambda _: bar.step())
    except EcrReposError as exc:
        raise CliError(f"cannot read the registry: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - endpoint unreachable, no credentials, ...
        raise CliError(f"cannot read the registry: {type(exc).__name__}: {exc}") from exc
    finally:
        bar.close()
    seen = {n: (_as_planner_sees(s, owner, match) if s is not None else None) for n, s in states.items()}
    old_gen = ownership.generation_of(physical_id)
    # The repair: an Update from the declared properties to themselves, every repository read.
    plan = plan_apply(desired, seen, owner, PLAN_GEN, old=desired, old_gen=old_gen)
    found = differences(plan, desired, seen, refs_known=old_gen is not None)
    return DriftReport(path, logical_id, stack_name, target.region, account, match, stack_id, source, reason,
                       physical_id, len(desired.repos), found)


def _ecr_client(target: Target) -> Any:
    """ECR client with a connection per pool worker (Target.client's 16 would make the other
    workers open and drop a connection per call)."""
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=max(16, concurrency()))
    return target.session.client("ecr", region_name=target.region, endpoint_url=target.endpoint_url, config=config)


# --- output ----------------------------------------------------------------------------------

_LABELS = {"repository": "repository", "ownership": "ownership", "mutability": "image tag mutability",
           "scan_on_push": "scan on push", "lifecycle_policy": "lifecycle policy",
           "repository_policy": "repository policy", "tags": "tags", "provider_tags": "provider tags"}


def as_json(report: DriftReport) -> str:
    return json.dumps(report.as_json(), indent=2) + "\n"


def as_text(report: DriftReport) -> str:
    lines = [f"Drift of {report.logical_id} ({report.template}) in stack {report.stack_name}, "
             f"{report.region}, account {report.account or 'unknown'}"]
    if report.source == FROM_DEPLOYED:
        lines.append("Declared: the deployed template (GetTemplate) with the stack's parameters")
    else:
        lines.append(f"Declared: this template ({report.source_reason or 'no stack'})")
    if report.physical_id:
        lines.append(f"Physical id: {report.physical_id}")
    if report.owner_match == BY_STACK_ID:
        lines.append("Owner: the given --stack-id")
    elif report.owner_match == BY_DESCRIBE:
        lines.append(f"Owner: stack {report.stack_id} (DescribeStacks)")
    else:
        lines.append(f"Owner: repositories tagged ecr-repos:stack={report.stack_name}, "
                     f"ecr-repos:logical-id={report.logical_id} (the reference tags are not compared)")
    lines.append("")
    current = None
    for diff in report.differences:
        if diff.repo != current:
            if current is not None:
                lines.append("")
            lines.append(f"~ {diff.repo}")
            current = diff.repo
        label = _LABELS.get(diff.setting, diff.setting)
        lines.append(f"    {label}: {diff.summary}")
        lines.extend(f"        {line}" for line in diff.details)
    drifted = report.drifted
    if not report.differences:
        lines.append(f"No drift: the {report.repositories} declared repositories match the declared properties.")
    else:
        if current is not None:
            lines.append("")
        lines.append(f"Drift: {len(report.differences)} differences in {len(drifted)} of {report.repositories} "
                     "repositories.")
        if any(not d.repairable for d in report.differences):
            lines.append("Ownership problems are not repaired: an Update fails on them before any write; resolve "
                         "them first.")
        lines.append("Repair: change the resource's ReconcileToken property (any new string) and deploy.")
    return "\n".join(lines) + "\n"


__all__ = ["ORDER", "DriftReport", "EXIT_CLEAN", "EXIT_DRIFT", "EXIT_FAILED", "as_json", "as_text", "compute"]
