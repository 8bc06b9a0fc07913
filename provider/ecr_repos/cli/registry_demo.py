"""``ecr-repos demo``'s Custom::EcrRegistry: the template's registry resource beside its Custom::EcrRepos.

The demo (``demo.run``) drives the template's Custom::EcrRepos through Create, Update and Delete; when
the template also holds a Custom::EcrRegistry, ``RegistryDemo`` sends that resource's Create, Update
(one replication source account added) and Delete to the same Lambda entry point, in the same steps,
and shows the registry's parts (read from the moto server) after each, with the plan of its Update
(``registry.parts`` of the registry package's planner).

The demo's moto 5.2 serves the registry policy, the replication configuration and the scanning
configuration; it has no pull-through cache rules, creation templates, pull-time update exclusions or
account settings (which PolicyStatements needs, for the policy scope). A template declaring those is
refused before the demo starts, naming them (the tests teach moto the rest: tests/support/registry_fidelity.py).
"""

from __future__ import annotations

import copy
import os
import time
from contextlib import contextmanager
from typing import Any, Iterator, TextIO

from .cloudformation import Resource
from .common import CliError
from .registry import REGISTRY_TYPE, as_parts_text, parts
from .template import Template

# What the demo's moto serves of Custom::EcrRegistry's properties.
SERVED = ("ServiceToken", "ServiceTimeout", "AdoptExisting", "ReplicationSourceAccountIds", "ReplicationRules",
          "Scanning")
SETTLE_ENV = "ECR_REGISTRY_SETTLE_SECONDS"
ADDED_SOURCE = "444444444444"  # the account the demo's Update adds to ReplicationSourceAccountIds


class RegistryResource(Resource):
    """The simulator's resource with ``ResourceType: Custom::EcrRegistry`` and a presigned ResponseURL
    carrying the request's time (SigV4's X-Amz-Date), as CloudFormation sends it."""

    def event(self, kind: str, properties: dict[str, Any], **kw: Any) -> dict[str, Any]:
        event = super().event(kind, properties, **kw)
        event["ResourceType"] = REGISTRY_TYPE
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        event["ResponseURL"] = event["ResponseURL"].replace(
            "?", f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}&X-Amz-Expires=7200&", 1)
        return event


def updated(properties: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The Update the demo sends: one more replication source account."""
    new = copy.deepcopy(properties)
    sources = list(new.get("ReplicationSourceAccountIds") or [])
    new["ReplicationSourceAccountIds"] = sources + [ADDED_SOURCE]
    return new, f"ReplicationSourceAccountIds: {ADDED_SOURCE} added"


class RegistryDemo:
    """The template's Custom::EcrRegistry in the demo, or nothing (``find`` returns None)."""

    def __init__(self, logical_id: str, properties: dict[str, Any], resource: RegistryResource, account: str):
        self.logical_id = logical_id
        self.properties = properties
        self.resource = resource
        self.account = account
        self.update_properties, self.update_said = updated(properties)
        self.responses: list[Any] = []

    @classmethod
    def find(cls, template: Template, parameters: dict[str, str], *, region: str, account: str, stack_name: str,
             stack_uuid: str) -> RegistryDemo | None:
        """The template's one Custom::EcrRegistry, resolved and checked as plan checks it; CliError when
        it declares parts the demo's moto does not serve, or several are declared."""
        from ..registry import ownership, spec
        from ..repos.outputs import partition_of
        from .common import problems_error
        from .plan import PLACEHOLDER_TOKEN, desired_properties, problem_lines

        found = template.custom_resources(REGISTRY_TYPE)
        if not found:
            return None
        if len(found) > 1:
            raise CliError(f"{template.path}: {len(found)} {REGISTRY_TYPE} resources ({', '.join(found)}); the demo "
                           "runs one beside the Custom::EcrRepos")
        logical_id = found[0]
        if not _created(template, logical_id, parameters, region=region, account=account, stack_name=stack_name):
            return None  # its Condition is false with these parameters: CloudFormation would not create it
        resource = RegistryResource(stack_name=stack_name, logical_id=logical_id, account=account, region=region,
                                    stack_uuid=stack_uuid)
        properties = desired_properties(template, logical_id, parameters, region=region, account=account,
                                        stack_name=stack_name, stack_id=resource.stack_id)
        properties.pop("ServiceTimeout", None)
        properties["ServiceToken"] = PLACEHOLDER_TOKEN
        _, problems = spec.check(properties, account=account, region=region, partition=partition_of(region),
                                 sid_prefix=ownership.sid_prefix(resource.stack_id, logical_id))
        if problems:
            raise problems_error(f"{template.path}: {logical_id}'s properties",
                                 problem_lines(template, logical_id, problems))
        unserved = [key for key in properties if key not in SERVED]
        if unserved:
            raise CliError(f"{template.path}: {logical_id} declares {', '.join(unserved)}, which the demo's moto "
                           f"does not serve; the demo runs {', '.join(SERVED[3:])} (remove the others, or deploy "
                           "the template: ecr-repos plan shows what it would do)")
        properties.pop("ServiceToken")
        return cls(logical_id, properties, resource, account)

    def summary(self) -> str:
        steps = ", ".join(f"{step} {r.status}" for step, r in zip(("Create", "Update", "Delete"), self.responses))
        return f"{self.logical_id} ({REGISTRY_TYPE}): {steps}."

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.responses)

    def send(self, out: TextIO, step: str, client: Any, respond: Any) -> bool:
        """Create, Update or Delete the resource, print the response and the registry's parts."""
        out.write(f"\n  {self.logical_id} ({REGISTRY_TYPE}): {step}\n")
        with _no_settle():
            if step == "Create":
                response = self.resource.create(self.properties)
            elif step == "Update":
                response = self.resource.update(self.update_properties)
            else:
                response = self.resource.delete()
        self.responses.append(response)
        respond(out, response)
        out.write(registry_table(client, self.account))
        return bool(response.ok)

    def plan_text(self, client: Any) -> str:
        """The parts of the Update's plan (previous properties: the Create's)."""
        from ..registry import ownership, planner, spec
        from ..registry.executor import Executor
        from ..repos.outputs import partition_of

        region, stack_id = self.resource.region, self.resource.stack_id
        prefix = ownership.sid_prefix(stack_id, self.logical_id)
        kwargs = {"account": self.account, "region": region, "partition": partition_of(region), "sid_prefix": prefix}
        new = spec.parse({"ServiceToken": "x", **self.update_properties}, **kwargs)
        old = spec.previous({"ServiceToken": "x", **self.properties}, **kwargs)
        state = Executor(client=client, settle=0).read(new, old)
        physical = self.resource.physical_id
        planned = planner.plan(new, old, state, since=ownership.created_at(physical))
        head = [f"  {self.logical_id} ({REGISTRY_TYPE}), change: {self.update_said}"]
        return "\n".join(head + [f"  {line}" for line in as_parts_text(parts(new, old, state, planned), "plan")]) + "\n"


def _created(template: Template, logical_id: str, parameters: dict[str, str], **where: str) -> bool:
    """Whether CloudFormation creates ``logical_id`` with ``parameters`` (its Condition, if any)."""
    from .resolve import ParameterError, condition, context_for

    name = template.resources[logical_id].get("Condition")
    if not isinstance(name, str):
        return True
    try:
        ctx = context_for(template.data, parameters, stack_id=None, **where)
    except ParameterError:
        return True  # desired_properties says what is wrong with the parameters
    return condition(name, ctx) is not False


@contextmanager
def _no_settle() -> Iterator[None]:
    """No settle wait after the registry policy's writes (registry/executor.py: it outlasts another writer's
    read-to-write window): the demo's registry has no other writer. Without it each step waits 1 s."""
    saved = os.environ.get(SETTLE_ENV)
    os.environ.setdefault(SETTLE_ENV, "0")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(SETTLE_ENV, None)


def registry_table(client: Any, account: str) -> str:
    """The registry's parts the demo's moto serves: policy statements, replication rules, scanning."""
    from ..registry.planner import statements_by_sid
    from ..registry.spec import replication_rule_of, scanning_of
    from .registry import _scanning

    try:
        policy = client.get_registry_policy().get("policyText")
    except client.exceptions.RegistryPolicyNotFoundException:
        policy = None
    rules = (client.describe_registry().get("replicationConfiguration") or {}).get("rules") or []
    scanning = scanning_of(client.get_registry_scanning_configuration().get("scanningConfiguration"))
    lines = []
    statements = statements_by_sid(policy)
    for sid, statement in sorted(statements.items()):
        principal = statement.get("Principal", {})
        who = principal.get("AWS", principal) if isinstance(principal, dict) else principal
        who = ", ".join(_account(w) for w in (who if isinstance(who, list) else [who]))
        actions = statement.get("Action", [])
        actions = ", ".join(actions) if isinstance(actions, list) else str(actions)
        lines.append(f"      policy:      {sid}")
        lines.append(f"                   {statement.get('Effect', 'Allow').lower()} {who}: {actions}")
    if not statements:
        lines.append("      policy:      none")
    lines += [f"      replication: {replication_rule_of(r).describe()}" for r in rules] or ["      replication: none"]
    lines.append(f"      scanning:    {_scanning(scanning)}")
    return "\n".join(lines) + "\n"


def _account(principal: object) -> str:
    """An account's root ARN as the account id (how the table names it); other principals as they are."""
    text = str(principal)
    return text.split(":")[4] if text.startswith("arn:") and text.endswith(":root") else text


__all__ = ["RegistryDemo", "RegistryResource", "registry_table"]
