"""Custom::EcrRegistry's requests: parse -> read the parts involved -> plan -> apply -> Data -> physical id.

The protocol (answering once, by the deadline) is ``core.protocol``'s. Bad input and conflicts fail
before any write: properties are validated first, then the registry is read, the policy scope checked,
and the plan refused whole if any declared part is another's or a merged object would exceed ECR's limits.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core import protocol
from ..core.errors import InvalidProperties
from ..repos.outputs import RESPONSE_LIMIT, SAFETY_MARGIN, partition_of, registry_host
from . import ownership, planner, spec
from .errors import PartOwnedElsewhere, RegistryLimit
from .executor import Executor

logger = logging.getLogger(__name__)

CACHE_ATTRIBUTE = "PullThroughCache."  # + the prefix: Fn::GetAtt [Registry, PullThroughCache.docker-hub]


class Request:
    __slots__ = ("kind", "account", "region", "partition", "stack_id", "logical_id", "physical_id", "properties",
                 "old_properties")

    def __init__(self, event: dict[str, Any]):
        arn = event["StackId"].split(":")
        self.kind = event["RequestType"]
        self.region, self.account = arn[3], arn[4]
        self.partition = arn[1] or partition_of(self.region)
        self.stack_id = event["StackId"]
        self.logical_id = event["LogicalResourceId"]
        self.physical_id = event.get("PhysicalResourceId")
        self.properties = event.get("ResourceProperties") or {}
        self.old_properties = event.get("OldResourceProperties")

    def parse(self, properties: Any) -> spec.RegistrySpec:
        return spec.parse(properties, account=self.account, region=self.region, partition=self.partition,
                          sid_prefix=ownership.sid_prefix(self.stack_id, self.logical_id))

    def previous(self, properties: Any) -> spec.RegistrySpec:
        return spec.previous(properties, account=self.account, region=self.region, partition=self.partition,
                             sid_prefix=ownership.sid_prefix(self.stack_id, self.logical_id))


def request_time(event: dict[str, Any]) -> float:
    """When CloudFormation made the request: the X-Amz-Date of its presigned ResponseURL (SigV4), the
    same in every delivery of the request, so a Create delivered twice chooses the same physical id;
    the Lambda's clock when the URL has none."""
    query = parse_qs(urlsplit(event.get("ResponseURL", "")).query)
    stamp = (query.get("X-Amz-Date") or [""])[0]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return time.time()


def _executor(request: Request) -> Executor:
    budget = protocol.helper.budget
    if budget is None:
        return Executor(region=request.region)
    return Executor(region=request.region, deadline=budget.stop_at, service_timeout=budget.service_timeout)


def create_or_update(event: dict[str, Any], context: Any) -> str:
    request = Request(event)
    if request.kind == "Update" and request.physical_id:
        physical = request.physical_id  # never replaced (ownership.py): CloudFormation keeps it on failure too
    else:
        physical = ownership.physical_id(request.stack_id, request.logical_id, request_time(event))
        protocol.helper.PhysicalResourceId = ownership.unwritten(physical)  # until the first write
    desired = request.parse(request.properties)
    old = None
    if request.kind == "Update" and request.old_properties is not None:
        old = desired if request.old_properties == request.properties else request.previous(request.old_properties)
        if not old.exact:
            # Old properties today's rules reject were refused before any write (this type has no earlier
            # release whose rules were looser): the rollback of that refused update owns what it declares.
            old = desired
        if ownership.owns_nothing(request.physical_id):
            old = None  # an id of a Create that wrote nothing (or not ours): it owns nothing
    executor = _executor(request)
    state = executor.read(desired, *(o for o in (old,) if o is not None))
    problems = spec.scope_problems(desired, state.scope)
    if problems:
        raise InvalidProperties(problems)
    plan = planner.plan(desired, old, state, since=ownership.created_at(physical))
    if plan.conflicts:
        first = plan.conflicts[0]
        raise PartOwnedElsewhere(first.field, first.key, len(plan.conflicts) - 1)
    if plan.limits:
        limit = plan.limits[0]
        raise RegistryLimit(limit.field, limit.size, limit.foreign, limit.limit)
    protocol.helper.PhysicalResourceId = physical
    _log(request, plan)
    executor.apply(plan)
    protocol.helper.Data.update(attributes(event, request, physical, desired))
    return physical


def delete(event: dict[str, Any], context: Any) -> str:
    request = Request(event)
    physical = request.physical_id or ""
    protocol.helper.PhysicalResourceId = physical
    if ownership.owns_nothing(physical):
        return physical
    owned = request.previous(request.properties)
    executor = _executor(request)
    state = executor.read(owned)
    plan = planner.plan(spec.RegistrySpec(), owned, state, since=ownership.created_at(physical))
    _log(request, plan)
    executor.apply(plan)
    return physical


def attributes(event: dict[str, Any], request: Request, physical: str, desired: spec.RegistrySpec) -> dict[str, str]:
    """AccountId, Region, Registry and ``PullThroughCache.<prefix>`` per cache rule (the image prefix to
    pull through), as many as fit CloudFormation's 4096-byte response; ``PullThroughCacheComplete`` says
    whether all did."""
    host = registry_host(request.account, request.region)
    data = {"AccountId": request.account, "Region": request.region, "Registry": host,
            "PullThroughCacheComplete": "true"}
    envelope = {"Status": "SUCCESS", "PhysicalResourceId": physical, "StackId": event["StackId"],
                "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"], "Reason": "",
                "NoEcho": False}
    for prefix in desired.cache_prefixes():
        key = CACHE_ATTRIBUTE + prefix
        value = host if prefix == "ROOT" else f"{host}/{prefix.rstrip('/')}"
        trial = {**data, key: value}
        if len(json.dumps({**envelope, "Data": trial}).encode()) > RESPONSE_LIMIT - SAFETY_MARGIN:
            data["PullThroughCacheComplete"] = "false"
            break
        data = trial
    return data


def _log(request: Request, plan: planner.Plan) -> None:
    summary: dict[str, int] = {}
    for action in plan.actions:
        summary[type(action).__name__] = summary.get(type(action).__name__, 0) + 1
    logger.info("%s %s/%s: %s", request.kind, request.stack_id, request.logical_id, summary)
