"""Custom::EcrRepos's requests: parse -> validate -> read actual state -> plan -> apply -> set Data ->
return the physical id.

The protocol (answering once, by the deadline) is ``core.protocol``'s; this module only says what
a Create, Update or Delete of a map of repositories does. When the time runs out, it raises
``Unfinished`` with what it read or what is left of its plan (``resume``), and the next invocation
resumes from that instead of starting again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..core import protocol
from ..core.continuation import Unfinished
from ..core.errors import EcrReposError
from . import access, ownership, outputs, resume, spec
from .errors import AwsCallFailed, RepositoriesNotEmpty, RepositoryPolicyTooLarge, conflict_error
from .executor import Executor
from .ownership import Owner
from .planner import Plan, plan_delete
from .reconcile import read_and_plan, read_for_delete

logger = logging.getLogger(__name__)
T = TypeVar("T")


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


def _executor(request: Request, carried: resume.Carried | None) -> Executor:
    budget = protocol.current().budget
    executor = Executor(region=request.region, deadline=budget.stop_at, service_timeout=budget.service_timeout)
    if carried is not None:
        executor.preload(carried.listed, carried.found, carried.inspected)
        executor.arns.update(carried.arns)
    return executor


def _apply(request: Request, executor: Executor, plan: Plan, anchor: str | None,
           not_empty_before: list[str]) -> None:
    """Apply ``plan``; out of time: ``Unfinished`` with the rest of it (the timer takes the same
    snapshot if one ECR call outlasts the margin)."""
    invocation = protocol.current()
    invocation.snapshot = lambda: resume.apply_state(request.kind, plan, executor, anchor, not_empty_before)
    try:
        executor.apply(plan)
    except EcrReposError as exc:
        if resume.out_of_time(executor, exc):
            raise Unfinished(exc, resume.apply_state(request.kind, plan, executor, anchor, not_empty_before)) from exc
        raise
    finally:
        invocation.snapshot = None


def _read(request: Request, executor: Executor, carried: resume.Carried | None, read: Callable[[], T]) -> T:
    """Run the reads; out of time: ``Unfinished`` with what was read. A repository the carried
    reads knew is gone (someone deleted it, or this is a late duplicate): read again from the start."""
    try:
        try:
            return read()
        except AwsCallFailed as exc:
            if carried is None or exc.code != "RepositoryNotFoundException":
                raise
            logger.warning("the carried reads are out of date (%s); reading again", exc)
            executor.preload(None, {}, {})
            return read()
    except EcrReposError as exc:
        if resume.out_of_time(executor, exc):
            raise Unfinished(exc, resume.reads_state(request.kind, executor)) from exc
        raise


def _check_resumed(request: Request, executor: Executor, plan: Plan, anchor: str | None,
                   carried: resume.Carried | None, not_empty_before: list[str] | None = None) -> Plan:
    """Before a continuation writes: ``Stale`` if its request is already over (the anchor tells,
    ``resume``); a creation in flight at the hand-over is dropped if it happened. Out of time for
    these reads: ``Unfinished`` with the whole plan (nothing written here yet)."""
    invocation = protocol.current()
    if invocation.link == 0:
        return plan
    try:
        resume.check_current(executor, request, request.owner, plan, anchor, invocation.chain)
        if carried is not None and carried.plan is not None:
            return resume.settle_uncertain(executor, plan, carried.uncertain)
    except EcrReposError as exc:
        if resume.out_of_time(executor, exc):
            state = resume.apply_state(request.kind, plan, executor, anchor, not_empty_before or [])
            if carried is not None:
                state["uncertain"] = carried.uncertain  # still to be settled by the next invocation
            raise Unfinished(exc, state) from exc
        raise
    return plan


def create_or_update(event: dict[str, Any], context: Any) -> str:
    request = Request.from_event(event)
    invocation = protocol.current()
    owner = request.owner
    request_gen = owner.generation(request.request_id)
    old_gen = ownership.generation_of(request.physical_id) if request.kind == "Update" else None
    # The id a FAILED response carries: the new one for a Create (its Delete must find what this
    # attempt made), the current one for an Update (CloudFormation keeps it on failure).
    invocation.physical_id = (request.physical_id or "") if request.kind == "Update" else owner.physical_id(request_gen)

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

    carried = resume.load(invocation.resumed, request.kind)
    executor = _executor(request, carried)
    plan = carried.plan if carried is not None else None
    anchor = carried.anchor if carried is not None else None
    if plan is None:
        # A changed ReconcileToken asks for a repair: every declared repository is read and corrected.
        repair = old is not None and old.reconcile_token != desired.reconcile_token
        plan, _ = _read(request, executor, carried, lambda: read_and_plan(
            executor, desired, old, owner, request_gen, old_gen, full=repair, transition=transition, undoes=undoes))
        if plan.conflicts:
            first = plan.conflicts[0]
            raise conflict_error(first.repo, first.owner_stack, first.encryption)
        if plan.oversized:
            big = plan.oversized[0]
            raise RepositoryPolicyTooLarge(big.repo, big.length, big.foreign_length, access.MAX_POLICY_CHARS)
        # The anchor is written first: a late duplicate reads it to learn whether the request is over.
        plan, anchor = resume.anchor_first(plan)
    plan = _check_resumed(request, executor, plan, anchor, carried)
    if invocation.link > 0:  # the last write: a late duplicate of an earlier link sees this chain answered
        plan = resume.with_mark(plan, anchor, invocation.chain)
        executor.arns.update({anchor: _arn_of(request, anchor)} if anchor else {})
    _log_plan(request, plan)
    try:
        _apply(request, executor, plan, anchor, [])
    except AwsCallFailed as exc:
        if not resume.only_the_mark_failed(plan, executor, exc):
            raise
        # e.g. the anchor already has ECR's 50 tags: the request is done; a late duplicate is then
        # bounded by ServiceTimeout only (docs/safety.md)
        logger.warning("could not mark %r answered: %s", anchor, exc)
    _set_data(event, request, desired.names, plan.physical_id)
    return plan.physical_id


def delete(event: dict[str, Any], context: Any) -> str:
    request = Request.from_event(event)
    invocation = protocol.current()
    physical_id = request.physical_id or ""
    invocation.physical_id = physical_id
    gen = ownership.generation_for(physical_id, request.owner)
    if gen is None:
        return physical_id  # not an id of this resource (e.g. a Create that failed before choosing one)
    names = spec.declared_names(request.properties)
    carried = resume.load(invocation.resumed, request.kind)
    executor = _executor(request, carried)
    plan = carried.plan if carried is not None else None
    anchor = carried.anchor if carried is not None else None
    kept_before = carried.not_empty if carried is not None else []
    if plan is None:
        states = _read(request, executor, carried, lambda: read_for_delete(executor, names, request.owner, gen))
        empty = {n: spec.empty_on_delete_of(request.properties, n) for n in names}
        # One removal waits for all the others: once it is gone, a late duplicate knows the Delete is over.
        plan, anchor = resume.hold_back(plan_delete(names, states, request.owner, physical_id, empty))
    plan = _check_resumed(request, executor, plan, anchor, carried, kept_before)
    _log_plan(request, plan)
    try:
        _apply(request, executor, plan, anchor, kept_before)
    except RepositoriesNotEmpty as exc:
        kept_before = sorted(set(kept_before) | set(exc.repositories))
    if kept_before:
        if invocation.link > 0 and anchor in kept_before:
            resume.mark_answered(executor, request, anchor, invocation.chain)
        raise RepositoriesNotEmpty(kept_before)
    return physical_id


def _arn_of(request: Request, name: str | None) -> str:
    return f"arn:{request.partition}:ecr:{request.region}:{request.account}:repository/{name}"


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
    protocol.current().data.update(outputs.fit(data, envelope))


def _log_plan(request: Request, plan: Plan) -> None:
    summary = {c.change: 0 for c in plan.changes}
    for c in plan.changes:
        summary[c.change] += 1
    logger.info("%s %s: %s; %d writes", request.kind, plan.physical_id, summary, len(plan.actions))
