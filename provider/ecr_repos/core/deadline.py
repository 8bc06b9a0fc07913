"""When the answer must be out: the earlier of the Lambda's end and CloudFormation's ServiceTimeout.

CloudFormation stops waiting ``ServiceTimeout`` seconds (a property of the resource, 1-3600, one
hour when absent) after it sent the request, and an answer after that is lost: the resource has
already failed and the physical id never reaches the stack. The Lambda may run longer than that,
or shorter. The budget counts ServiceTimeout from the request's first receipt (``received``: the
start of the first invocation, carried by every continuation, ``core.continuation``; the nearest
instant the provider can see to CloudFormation's sending) and keeps a margin before the earlier end:

- ``stop_at`` (the end minus the margin): the executor starts no ECR call after it; a request that
  reaches it goes on in a fresh invocation while ``service_end`` leaves time (``core.continuation``),
  else answers FAILED itself (``errors.OutOfTime``), saying how far it got.
- ``timer_at`` (the end minus half the margin, at most 0.5 s, crhelper's own allowance): a timer
  hands over or answers FAILED if the handler has not yet, because one ECR call that started before
  ``stop_at`` is still running. The handler's later answer is then dropped: one answer per request.

The margin is half the budget, at most ``cap`` (``ECR_REPOS_TIME_MARGIN``, 10 s): a 900 s Lambda
keeps today's 10 s, and a 1 s ServiceTimeout still leaves 0.5 s of work, enough for a small Create
(docs/fidelity.md has the measured figures). Pure: no clock is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MARGIN_SHARE = 0.5  # of the budget, before the cap
SEND_ALLOWANCE = 0.5  # seconds the timer keeps for sending its answer, as crhelper does before the Lambda's end
SERVICE_TIMEOUT_MIN, SERVICE_TIMEOUT_MAX = 1, 3600
DEFAULT_SERVICE_TIMEOUT = 3600  # CloudFormation's wait when the resource sets no ServiceTimeout


def service_timeout_of(properties: Any) -> int | None:
    """``ServiceTimeout`` of the resource's properties in seconds (CloudFormation sends it as a
    string), or None when absent or not a whole number in 1-3600 (validation reports that one)."""
    value = properties.get("ServiceTimeout") if isinstance(properties, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit() or not text.isascii():
            return None
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and SERVICE_TIMEOUT_MIN <= value <= SERVICE_TIMEOUT_MAX:
        return value
    return None


@dataclass(frozen=True)
class Budget:
    """The time of one invocation, in ``time.monotonic()`` seconds."""

    started: float
    answer_by: float  # CloudFormation or the Lambda stops listening
    margin: float
    service_timeout: int | None = None  # set when ServiceTimeout is the earlier end
    # When CloudFormation stops waiting (ServiceTimeout, one hour when absent, from the first receipt):
    # a continuation may go on until then (core.continuation).
    service_end: float = float("inf")

    @property
    def stop_at(self) -> float:
        """No ECR call starts after this."""
        return self.answer_by - self.margin

    @property
    def timer_at(self) -> float:
        """The timer answers FAILED at this instant if nothing was answered yet."""
        return self.answer_by - min(SEND_ALLOWANCE, self.margin / 2)


def budget(started: float, now: float, remaining_ms: float, properties: Any, cap: float, *,
           received: float | None = None) -> Budget:
    """The budget of an invocation that started at ``started`` and, at ``now``, has ``remaining_ms``
    of Lambda time left. ``received``: when the request first arrived (an earlier invocation's start,
    for a continuation; the same clock), ``started`` when absent."""
    lambda_end = now + remaining_ms / 1000.0
    timeout = service_timeout_of(properties)
    first = started if received is None else min(received, started)
    service_end = first + timeout if timeout is not None else None
    if service_end is not None and service_end < lambda_end:
        answer_by, limited_by = service_end, timeout
    else:
        answer_by, limited_by = lambda_end, None
    margin = min(max(0.0, cap), MARGIN_SHARE * max(0.0, answer_by - started))
    return Budget(started=started, answer_by=answer_by, margin=margin, service_timeout=limited_by,
                  service_end=service_end if service_end is not None else first + DEFAULT_SERVICE_TIMEOUT)
