"""Custom::EcrRepos's requests: parse -> validate -> read actual state -> plan -> apply -> set Data ->
return the physical id.

The protocol (answering once, by the deadline) is ``core.protocol``'s; this module only says what
a Create, Update or Delete of a map of repositories does.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core import protocol
from . import access, ownership, outputs, spec
from .errors import RepositoryPolicyTooLarge, conflict_error
from .executor import Executor
from .ownership import Owner
from .planner import Plan, plan_delete
from .reconcile import read_and_plan, read_for_delete

logger = logging.getLogger(__name__)


class Request:
    """What the provider needs from a CloudFormation event (a plain slotted class: cheaper to define
    at import than a frozen dataclass, for the cold start)."""

    __slots__ = ("kind", "owner", "account", "region", "partition", "request_id", "physical_id", "properties",
                 "old_properties")

    def __init__(self, *, kind: str, owner: Owner, account: str, region: str, partition: str, request_id: str,
                 physical_id: str | None, properties: dict[str, Any], old_properties: dict[str, Any] | None):
        self.kind = kind
        self.owner = owner
        self.account = account
        self.region = region
        self.partition = partition
        self.request_id = request_id
        self.physical_id = physical_id
        self.properties = properties
        self.old_properties = old_properties

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> "Request":
        arn = event["StackId"].split(":")
        region, account = arn[3], arn[4]
        return cls(
            kind=event["RequestType"],
            owner=Owner(event["StackId"], event["LogicalResourceId"]),
            account=account,
            region=region,
            partition=arn[1] or outputs.partition_of(region),
            request_id=event["RequestId"],
            physical_id=event.get("PhysicalResourceId"),
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties"),
        )


def _executor(request: Request, context: Any) -> Executor:
    budget = protocol.helper.budget
    if budget is None:
        return Executor(region=request.region)
    return Executor(region=request.region, deadline=budget.stop_at, service_timeout=budget.service_timeout)


def create_or_update(event: dict[str, Any], context: Any) -> str:
    request = Request.from_event(event)
    owner = request.owner
    request_gen = owner.generation(request.request_id)
    old_gen = ownership.generation_of(request.physical_id) if request.kind == "Update" else None
    # The id a FAILED response carries: the new one for a Create (its Delete must find what this
    # attempt made), the current one for an Update (CloudFormation keeps it on failure).
    protocol.helper.PhysicalResourceId = request.physical_id if request.kind == "Update" else owner.physical_id(request_gen)

    desired = spec.parse(request.properties, request.partition, region=request.region)
    old = None
    transition, undoes = "", None
    if request.kind == "Update" and request.old_properties is not None:
        if request.old_properties == request.properties:
            old = desired  # a resend (rollback) of the same properties: parsing is pure, skip the second pass
        else:
            old = spec.previous(request.old_properties, request.partition, region=request.region)
            transition = ownership.transition(request.old_properties, request.properties)
            undoes = ownership.transition(request.properties, request.old_properties)

    executor = _executor(request, context)
    # A changed ReconcileToken asks for a repair: every declared repository is read and corrected.
    repair = old is not None and old.reconcile_token != desired.reconcile_token
    plan, _ = read_and_plan(executor, desired, old, owner, request_gen, old_gen, full=repair, transition=transition,
                            undoes=undoes)
    if plan.conflicts:
        first = plan.conflicts[0]
        raise conflict_error(first.repo, first.owner_stack, first.encryption)
    if plan.oversized:
        big = plan.oversized[0]
        raise RepositoryPolicyTooLarge(big.repo, big.length, big.foreign_length, access.MAX_POLICY_CHARS)
    _log_plan(request, plan)
    executor.apply(plan)
    _set_data(event, request, desired.names, plan.physical_id)
    return plan.physical_id


def delete(event: dict[str, Any], context: Any) -> str:
    request = Request.from_event(event)
    physical_id = request.physical_id or ""
    protocol.helper.PhysicalResourceId = physical_id
    gen = ownership.generation_for(physical_id, request.owner)
    if gen is None:
        return physical_id  # not an id of this resource (e.g. a Create that failed before choosing one)
    names = spec.declared_names(request.properties)
    executor = _executor(request, context)
    states = read_for_delete(executor, names, request.owner, gen)
    empty = {n: spec.empty_on_delete_of(request.properties, n) for n in names}
    plan = plan_delete(names, states, request.owner, physical_id, empty)
    _log_plan(request, plan)
    executor.apply(plan)
    return physical_id


def _set_data(event: dict[str, Any], request: Request, names: list[str], physical_id: str) -> None:
    data = outputs.attributes(request.account, request.region, names)
    envelope = {
        "Status": "SUCCESS",
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Reason": "",
        "NoEcho": False,
    }
    protocol.helper.Data.update(outputs.fit(data, envelope))


def _log_plan(request: Request, plan: Plan) -> None:
    summary = {c.change: 0 for c in plan.changes}
    for c in plan.changes:
        summary[c.change] += 1
    logger.info("%s %s: %s; %d writes", request.kind, plan.physical_id, summary, len(plan.actions))
