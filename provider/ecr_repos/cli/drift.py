"""``ecr-repos drift``: what was changed by hand in the registry, from read calls only.

The declared properties are the deployed ones when the stack exists (GetTemplate with the stack's
parameters, as ``ecr-repos plan`` reads them), else the template's. The differences are the plan
of a repairing Update to those properties (``ecr_repos.cli.differences``): every declared repository read in
full by the executor's pool, ``planner.plan_apply`` deciding. So what ``drift`` reports is what an
Update that changes ``ReconcileToken`` repairs. Nothing here writes.

Exit codes as ``terraform plan -detailed-exitcode``: 0 no drift, 2 drift found, 1 error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

from ..repos import ownership, spec
from .differences import ORDER, Difference, differences, drifted_repositories
from ..core.errors import format_path
from ..repos.executor import Executor, concurrency
from ..repos.planner import plan_apply
from ..repos.reconcile import read_states
from .common import CliError, Progress, reading_registry
from .plan import PLAN_GEN, Target, _as_planner_sees, checked, locate, precheck
from .render import owner_line
from .resolve import known_after_deploy_paths

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
    warnings: list[str] = field(default_factory=list)  # YAML pitfalls of the template's resource (stderr)

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
    warn: Callable[[str], None] | None = None,
) -> DriftReport:
    """The drift of one Custom::EcrRepos of the template at ``path``. Warnings about the template
    (duplicate keys, YAML pitfalls, an oversized map) go to ``warn`` before any AWS call, else to
    the report's ``warnings``; its properties are checked once they are known to be the ones
    declared (no stack: the template's)."""
    warnings: list[str] = []
    template, logical_id = precheck(path, logical_id, (target or Target()).region, warn or warnings.append,
                                    properties=False)
    where = locate(template, logical_id, stack_name=stack_name, stack_id=stack_id, target=target)
    reason = where.reason
    properties = None
    physical_id = None
    if where.deployed is not None:
        if where.deployed.properties is None:
            reason = f"the deployed template has no {logical_id}"
        else:
            properties, physical_id = where.deployed.properties, where.deployed.physical_id
    source = FROM_DEPLOYED if properties is not None else FROM_TEMPLATE
    unknown = [format_path(loc) for loc in known_after_deploy_paths(properties or {}) if loc != ("ServiceToken",)]
    if properties is None:
        properties_now = where.template_properties(parameters or {})
        unknown = [format_path(loc) for loc in known_after_deploy_paths(properties_now) if loc != ("ServiceToken",)]
    if unknown:
        # plan can show such a value as "(known after deploy)"; drift would report it as drift.
        raise CliError(f"{template.path}: {logical_id}: drift cannot compare {', '.join(unknown)}: a !Ref or !GetAtt "
                       "of a resource of the same stack, which the CLI does not read; write the value in a copy "
                       "of the template, or pass it as a parameter")
    if properties is None:
        desired = checked(template, logical_id, properties_now, where.region)
    else:
        desired, problems = spec.check(properties, where.partition, region=where.region)
        if problems or desired is None:
            raise CliError("the deployed properties are invalid: " + "; ".join(
                f"{format_path(p.location)}: {p.message}" for p in sorted(problems, key=lambda p: format_path(p.location))))
    owner = where.owner()
    executor = Executor(client=_ecr_client(where.target))
    bar = Progress("reading repositories", len(desired.repos), stream=progress)
    try:
        with reading_registry():
            states = read_states(executor, desired, desired, full=True, on_read=lambda _: bar.step())
    finally:
        bar.close()
    seen = {n: (_as_planner_sees(s, owner, where.match) if s is not None else None) for n, s in states.items()}
    old_gen = ownership.generation_of(physical_id)
    # The repair: an Update from the declared properties to themselves, every repository read.
    plan = plan_apply(desired, seen, owner, PLAN_GEN, old=desired, old_gen=old_gen)
    found = differences(plan, desired, seen, refs_known=old_gen is not None)
    return DriftReport(path, logical_id, where.stack_name, where.region, where.account, where.match, where.stack_id,
                       source, reason, physical_id, len(desired.repos), found, warnings)


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
    lines.append(owner_line(report.owner_match, report.stack_id,
                            f"repositories tagged ecr-repos:stack={report.stack_name}, "
                            f"ecr-repos:logical-id={report.logical_id} (the reference tags are not compared)"))
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
