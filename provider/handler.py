"""Lambda entry point: ``provider.handler.handler(event, context)``.

Thin by design: parse -> validate -> read actual state -> plan -> apply -> set Data -> return the
physical id. crhelper builds the response; ``provider.response`` sends it, over a TLS context built
once per process. ``provider.deadline`` says when the answer must be out (the earlier of the
Lambda's end and CloudFormation's ServiceTimeout): the executor starts no call after its stop
time, and a timer answers FAILED in time if one call outlasts it. One answer per request.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

from crhelper import CfnResource

from . import access, deadline, ownership, outputs, response, spec
from .errors import EcrReposError, OutOfTime, RepositoryPolicyTooLarge, conflict_error, shorten
from .executor import Executor
from .ownership import Owner
from .planner import Plan, plan_delete
from .reconcile import read_and_plan

logger = logging.getLogger(__name__)

# The most time kept before the answer's deadline (provider/deadline.py): no ECR call starts later,
# so the FAILED response names what happened instead of arriving too late. Short budgets keep half.
TIME_MARGIN_SECONDS = float(os.environ.get("ECR_REPOS_TIME_MARGIN", "10"))


class _Resource(CfnResource):
    """crhelper's resource, with three changes at the seams crhelper has for them:

    - ``provider.response.send`` sends the responses (the argument crhelper's ``_send`` takes);
    - one answer per request: whichever of the handler and the timer answers first, the other's
      answer is dropped (CloudFormation keeps the last PUT to the URL, which may come too late);
    - the timer fires at the budget's ``timer_at`` (crhelper's: 0.5 s before the Lambda's end, which
      may be long after CloudFormation's ServiceTimeout) and says why, with the chosen physical id.
    """

    budget: deadline.Budget | None = None
    _answer_lock = threading.Lock()  # one helper per process, one request at a time
    _answered = False

    def __call__(self, event: Any, context: Any) -> None:
        self._started = time.monotonic()
        with self._answer_lock:
            self._answered = False
        self.budget = None
        try:
            super().__call__(event, context)
        finally:
            # The timer may be sending its answer right now: let it finish before the runtime freezes.
            timer = getattr(self, "_timer", None)
            if isinstance(timer, threading.Thread) and timer.is_alive() and timer is not threading.current_thread():
                timer.join()

    def _send(self, status: Any = None, reason: str = "", send_response: Any = response.send) -> None:
        with self._answer_lock:
            if self._answered:
                logger.warning("answer already sent for request %s; dropping %s", self.RequestId, status or self.Status)
                return
            self._answered = True
        super()._send(status, reason, send_response)

    def _set_timeout(self) -> None:
        now = time.monotonic()
        self.budget = deadline.budget(self._started, now, self._context.get_remaining_time_in_millis(),
                                      self._event.get("ResourceProperties"), TIME_MARGIN_SECONDS)
        self._timer = threading.Timer(max(0.0, self.budget.timer_at - now), self._timeout)
        self._timer.start()

    def _timeout(self) -> None:
        limit = self.budget.service_timeout if self.budget is not None else None
        reason = str(OutOfTime(service_timeout=limit, in_flight=True))
        logger.error("no answer by the deadline; sending FAILED: %s", reason)
        self._send("FAILED", reason)


def _new_helper() -> CfnResource:
    """crhelper's resource, without the lambda, events and logs clients its constructor builds.

    Those clients serve only crhelper's polling (``poll_create`` etc.), which the provider never
    uses, and building them adds about 40 ms to every cold start (docs/performance.md). The
    constructor skips them when ``AWS_SAM_LOCAL`` is set, its documented switch for local runs: set
    it during construction only. Afterwards crhelper reads the flag only to skip polling, which is off.
    Enabling polling would need these clients: remove this first.
    """
    saved = os.environ.get("AWS_SAM_LOCAL")
    os.environ["AWS_SAM_LOCAL"] = "true"
    try:
        return _Resource(json_logging=False, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)
    finally:
        if saved is None:
            del os.environ["AWS_SAM_LOCAL"]
        else:
            os.environ["AWS_SAM_LOCAL"] = saved


helper = _new_helper()


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
    budget = helper.budget
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
    helper.PhysicalResourceId = request.physical_id if request.kind == "Update" else owner.physical_id(request_gen)

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
    helper.PhysicalResourceId = physical_id
    if ownership.generation_of(physical_id) is None:
        return physical_id  # not an id of ours (e.g. a Create that failed before choosing one)
    names = spec.declared_names(request.properties)
    executor = _executor(request, context)
    existing = executor.find(names)
    executor.remember_arns(existing)
    states: dict[str, Any] = {n: existing.get(n) for n in names}
    states.update(executor.inspect(existing, [n for n in names if n in existing], policies=False))
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
    helper.Data.update(outputs.fit(data, envelope))


def _log_plan(request: Request, plan: Plan) -> None:
    summary = {c.change: 0 for c in plan.changes}
    for c in plan.changes:
        summary[c.change] += 1
    logger.info("%s %s: %s; %d writes", request.kind, plan.physical_id, summary, len(plan.actions))


def _guard(fn: Any) -> Any:
    """Unexpected errors still reach CloudFormation as a short Reason that ends with what to do."""

    def guarded(event: dict[str, Any], context: Any) -> str:
        try:
            return fn(event, context)
        except EcrReposError:
            raise
        except Exception as exc:
            logger.exception("unexpected error")
            raise RuntimeError(shorten(
                f"Internal error {type(exc).__name__}: {exc}. Retry; if it persists, report it with the logs."
            )) from exc

    return guarded


helper.create(_guard(create_or_update))
helper.update(_guard(create_or_update))
helper.delete(_guard(delete))


def handler(event: dict[str, Any], context: Any) -> None:
    """The Lambda entry point. Accepts CloudFormation's event directly or wrapped in SNS."""
    if "Records" in event and event["Records"] and "Sns" in event["Records"][0]:
        event = json.loads(event["Records"][0]["Sns"]["Message"])
    try:
        helper(event, context)
    except Exception:  # pragma: no cover - crhelper already answers FAILED; never crash the runtime
        logger.exception("unhandled error")
