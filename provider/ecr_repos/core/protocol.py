"""The protocol core: CloudFormation's custom-resource protocol for every resource type, knowing no ECR.

One crhelper resource per process answers each request exactly once, by the deadline
(``core.deadline``: the earlier of the Lambda's end and the ServiceTimeout), through
``core.response``. Each resource type registers its create, update and delete functions with
``register``; requests are dispatched on ``ResourceType`` (an unregistered type goes to the default
type, ``Custom::EcrRepos``, as every 0.x template's resource did).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource

from . import deadline, response
from .errors import EcrReposError, OutOfTime, shorten

logger = logging.getLogger(__name__)

# The most time kept before the answer's deadline (core/deadline.py): no call starts later, so the
# FAILED response names what happened instead of arriving too late. Short budgets keep half.
TIME_MARGIN_SECONDS = float(os.environ.get("ECR_REPOS_TIME_MARGIN", "10"))

DEFAULT_TYPE = "Custom::EcrRepos"

Operation = Callable[[dict[str, Any], Any], str]


class _Resource(CfnResource):
    """crhelper's resource, with three changes at the seams crhelper has for them:

    - ``ecr_repos.core.response.send`` sends the responses (the argument crhelper's ``_send`` takes);
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



def guard(fn: Operation) -> Operation:
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


_TYPES: dict[str, dict[str, Operation]] = {}


def register(resource_type: str, *, create: Operation, update: Operation, delete: Operation) -> None:
    """Serve ``resource_type``'s requests with these functions (each returns the physical id)."""
    _TYPES[resource_type] = {"Create": create, "Update": update, "Delete": delete}


def _dispatch(kind: str) -> Operation:
    def run(event: dict[str, Any], context: Any) -> str:
        operations = _TYPES.get(event.get("ResourceType", ""), _TYPES[DEFAULT_TYPE])
        return operations[kind](event, context)

    return guard(run)


helper.create(_dispatch("Create"))
helper.update(_dispatch("Update"))
helper.delete(_dispatch("Delete"))


def unwrap(event: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's event, whether it came directly or wrapped in an SNS notification."""
    if "Records" in event and event["Records"] and "Sns" in event["Records"][0]:
        return json.loads(event["Records"][0]["Sns"]["Message"])
    return event


def handle(event: dict[str, Any], context: Any) -> None:
    """Answer one request (the Lambda entry point's body)."""
    try:
        helper(unwrap(event), context)
    except Exception:  # pragma: no cover - crhelper already answers FAILED; never crash the runtime
        logger.exception("unhandled error")
