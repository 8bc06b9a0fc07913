"""The protocol core: CloudFormation's custom-resource protocol for every resource type, knowing no ECR.

Each request is answered exactly once, by the deadline (``core.deadline``: the earlier of the
Lambda's end and the ServiceTimeout, counted from the request's first receipt), through
``core.response``; or, when the Lambda's time runs out while CloudFormation still waits, handed over
to a fresh invocation of the function itself (``core.continuation``), which resumes and answers.

Each resource type registers its create, update and delete functions with ``register``; requests are
dispatched on ``ResourceType`` (an unregistered type goes to the default type, ``Custom::EcrRepos``,
as every 0.x template's resource did). A function returns the physical id; it raises ``Unfinished``
(with what it learned and did) when it stopped for lack of time, and any other exception to answer
FAILED with ``str(exc)`` as the Reason. During a request, ``current()`` is its ``Invocation``: the
budget, the physical id and Data of the answer, the resumed state of the invocations before.

Why not crhelper's ``CfnResource``: its ``__call__`` always answers (success, failure, or its own
timer's "Execution timed out" 0.5 s before the Lambda's end), and answering is exactly what a
hand-over must not do; its timer knows only the Lambda's end, not ServiceTimeout. Bending it needed
its private ``__call__``, ``_send``, ``_set_timeout`` and ``_timeout``. The core now owns when to
answer; what it kept of crhelper's behaviour is the response body (``response.body``: the same
fields, a Reason over 256 characters cut to its last 240), a failed request's physical id (the one
set so far, else the event's, else a generated one) and the log levels (INFO, boto at ERROR).
"""

from __future__ import annotations

import json
import logging
import os
import random
import string
import threading
import time
from collections.abc import Callable
from typing import Any

from . import continuation, deadline, response
from .continuation import Record, Stale, Unfinished
from .errors import EcrReposError, OutOfTime, shorten

logger = logging.getLogger(__name__)

# The most time kept before the answer's deadline (core/deadline.py): no call starts later, so the
# FAILED response names what happened instead of arriving too late. Short budgets keep half.
TIME_MARGIN_SECONDS = float(os.environ.get("ECR_REPOS_TIME_MARGIN", "10"))
# A hand-over needs this much of CloudFormation's time left after the margin (the next link must
# start, read its record and do something); less: answer FAILED now, while CloudFormation listens.
MIN_LINK_SECONDS = float(os.environ.get("ECR_REPOS_MIN_LINK", "5"))

DEFAULT_TYPE = "Custom::EcrRepos"

Operation = Callable[[dict[str, Any], Any], str]

# The Lambda runtime's root logger; the levels crhelper used to set.
logging.getLogger().setLevel(logging.INFO)
for _name in ("boto", "boto3", "botocore", "urllib3"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class Invocation:
    """One invocation of one request: its budget, its single outcome (answered or handed over)."""

    def __init__(self, event: dict[str, Any], context: Any, record: Record | None, started: float):
        self.event = event
        self.context = context
        self.record = record
        self.physical_id = ""
        self.data: dict[str, Any] = {}
        # Set by the resource type while it applies: what to carry if the timer must hand over.
        self.snapshot: Callable[[], Any] | None = None
        now = time.monotonic()
        wall = time.time()
        self.received_at = record.received_at if record is not None else wall
        received = started - max(0.0, wall - self.received_at)
        self.budget = deadline.budget(started, now, context.get_remaining_time_in_millis(),
                                      event.get("ResourceProperties"), TIME_MARGIN_SECONDS, received=received)
        self._lock = threading.Lock()
        self._outcome: str | None = None
        self._resumed: Any = None

    @property
    def link(self) -> int:
        return self.record.link if self.record is not None else 0

    @property
    def chain(self) -> str:
        if self.record is not None:
            return self.record.chain
        return continuation.chain_id(str(self.event.get("RequestId", "")), self.received_at)

    @property
    def resumed(self) -> Any:
        """What the invocations before carried (None: the first invocation, or it did not fit)."""
        if self._resumed is None and self.record is not None and self.record.state is not None:
            self._resumed = continuation.unpack(self.record.state)
        return self._resumed

    @property
    def outcome(self) -> str | None:
        return self._outcome

    # --- the two outcomes ----------------------------------------------------------------------

    def answer(self, status: str, reason: str = "") -> bool:
        """Send the answer, unless this invocation already answered or handed over."""
        with self._lock:
            if self._outcome is not None:
                logger.warning("request %s already %s; dropping %s", self.event.get("RequestId"), self._outcome, status)
                return False
            self._outcome = "answered"
        body = response.body(self.event, status, reason, self._physical_id_to_send(), self.data)
        response.send(self.event["ResponseURL"], body)
        return True

    def may_continue(self) -> bool:
        """Whether a fresh invocation would still have CloudFormation's time to work."""
        if not self._could_invoke():
            return False
        return time.monotonic() + self.budget.margin + MIN_LINK_SECONDS < self.budget.service_end

    def hand_over(self, state: Any) -> bool:
        """Invoke the function itself with this request and ``state``; no answer from here. False
        when this invocation already has an outcome, or the Invoke was refused (then it answers FAILED)."""
        with self._lock:
            if self._outcome is not None:
                return False
            self._outcome = "handed over"
        record = Record(self.chain, self.link + 1, self.received_at,
                        continuation.pack(state) if state is not None else None)
        try:
            continuation.invoke(self.context.invoked_function_arn, continuation.payload(self.event, record))
        except continuation.ContinuationFailed as exc:
            logger.error("could not hand the request over: %s", exc)
            with self._lock:
                self._outcome = None
            self.answer("FAILED", shorten(f"Out of Lambda time, and invoking the provider again failed ({exc}). "
                                          "Allow the role lambda:InvokeFunction on the function, then retry."))
            return False
        logger.info("request %s continues in link %d of chain %s", self.event.get("RequestId"), record.link,
                    record.chain)
        return True

    # --- running -------------------------------------------------------------------------------

    def run(self, operation: Operation) -> None:
        try:
            physical_id = operation(self.event, self.context)
        except Unfinished as unfinished:
            if self.may_continue() and self.hand_over(unfinished.state):
                return
            self.answer("FAILED", str(self._why_not_on(unfinished.cause)))
        except OutOfTime as exc:
            # out of time where the type carried nothing: the next invocation reads again (safe: it is
            # what a second delivery of the request does)
            if self.may_continue() and self.hand_over(None):
                return
            self.answer("FAILED", str(self._why_not_on(exc)))
        except Stale as stale:
            with self._lock:
                self._outcome = self._outcome or "ignored"
            logger.warning("request %s (link %d) is over; nothing written, no answer: %s",
                           self.event.get("RequestId"), self.link, stale)
        except Exception as exc:  # noqa: BLE001 - every failure is an answer
            logger.error("%s", exc, exc_info=not isinstance(exc, EcrReposError))
            self.answer("FAILED", str(exc))
        else:
            self.physical_id = physical_id or self.physical_id
            self.answer("SUCCESS")

    def _why_not_on(self, cause: Exception) -> Exception:
        """A request that could have gone on but for ServiceTimeout says so."""
        if isinstance(cause, OutOfTime) and cause.service_timeout is None and self._could_invoke():
            limit = deadline.service_timeout_of(self.event.get("ResourceProperties")) or deadline.DEFAULT_SERVICE_TIMEOUT
            return OutOfTime(cause.done, cause.total, service_timeout=limit, in_flight=cause.in_flight)
        return cause

    def _could_invoke(self) -> bool:
        return bool(getattr(self.context, "invoked_function_arn", None)) and self.link + 1 < continuation.MAX_LINKS

    def on_timer(self) -> None:
        """The deadline came while the operation still runs (one ECR call outlasted the margin)."""
        if self._outcome is not None:
            return
        if self.snapshot is not None and self.may_continue():
            try:
                state = self.snapshot()
            except Exception:  # noqa: BLE001 - without a state the next link reads again: safe
                logger.exception("no snapshot; the next invocation reads again")
                state = None
            if self.hand_over(state):
                return
        reason = str(self._why_not_on(OutOfTime(service_timeout=self.budget.service_timeout, in_flight=True)))
        logger.error("no answer by the deadline; sending FAILED: %s", reason)
        self.answer("FAILED", reason)

    def _physical_id_to_send(self) -> str:
        if self.physical_id:
            return str(self.physical_id)
        if self.event.get("PhysicalResourceId"):
            return str(self.event["PhysicalResourceId"])
        stack = str(self.event.get("StackId", "")).split("/")
        name = stack[1] if len(stack) > 1 else "stack"
        return "_".join([name, str(self.event.get("LogicalResourceId", "")),
                         "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(8))])


_current: list[Invocation | None] = [None]


def current() -> Invocation:
    """The request being served (inside a registered operation)."""
    invocation = _current[0]
    if invocation is None:
        raise RuntimeError("no request is being served")
    return invocation


def guard(fn: Operation) -> Operation:
    """Unexpected errors still reach CloudFormation as a short Reason that ends with what to do."""

    def guarded(event: dict[str, Any], context: Any) -> str:
        try:
            return fn(event, context)
        except (EcrReposError, Unfinished, Stale):
            raise
        except Exception as exc:
            logger.exception("unexpected error")
            raise RuntimeError(shorten(
                f"Internal error {type(exc).__name__}: {exc}. Retry; if it persists, report it with the logs."
            )) from exc

    return guarded


_TYPES: dict[str, dict[str, Operation]] = {}


def register(resource_type: str, *, create: Operation, update: Operation, delete: Operation) -> None:
    """Serve ``resource_type``'s requests with these functions (each returns the physical id)."""
    _TYPES[resource_type] = {"Create": guard(create), "Update": guard(update), "Delete": guard(delete)}


def _operation(event: dict[str, Any]) -> Operation:
    operations = _TYPES.get(event.get("ResourceType", ""), _TYPES[DEFAULT_TYPE])
    kind = event.get("RequestType", "")
    if kind not in operations:
        def unknown(event: dict[str, Any], context: Any) -> str:
            raise ValueError(f"Unknown RequestType {kind!r}: expected Create, Update or Delete.")
        return unknown
    return operations[kind]


def unwrap(event: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's event, whether it came directly or wrapped in an SNS notification."""
    if "Records" in event and event["Records"] and "Sns" in event["Records"][0]:
        return json.loads(event["Records"][0]["Sns"]["Message"])
    return event


def handle(event: dict[str, Any], context: Any) -> None:
    """Answer one request, or hand it over (the Lambda entry point's body). Never raises: an
    error returned to Lambda would make it retry the invocation (docs/safety.md)."""
    started = time.monotonic()
    try:
        request, record = continuation.split(unwrap(event))
    except (ValueError, TypeError, KeyError) as exc:
        logger.error("not a request the provider can serve; ignored: %s", exc)
        return
    if record is not None:
        limit = deadline.service_timeout_of(request.get("ResourceProperties")) or deadline.DEFAULT_SERVICE_TIMEOUT
        if time.time() >= record.received_at + limit:
            logger.warning("link %d of chain %s arrived after CloudFormation stopped waiting; ignored",
                           record.link, record.chain)
            return
    try:
        invocation = Invocation(request, context, record, started)
    except Exception:  # pragma: no cover - a context without the Lambda's methods
        logger.exception("unusable invocation context")
        return
    timer = threading.Timer(max(0.0, invocation.budget.timer_at - time.monotonic()), invocation.on_timer)
    timer.daemon = True
    _current[0] = invocation
    timer.start()
    try:
        invocation.run(_operation(request))
    except Exception:  # pragma: no cover - run answers every failure; never crash the runtime
        logger.exception("unhandled error")
    finally:
        timer.cancel()
        # The timer may be answering right now: let it finish before the runtime freezes.
        timer.join()
        _current[0] = None
