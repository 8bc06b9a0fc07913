"""A client-side rate per API operation that finds the service's quota by itself.

AWS publishes no rate limits for most control-plane APIs (ECR's CreateRepository, PutLifecyclePolicy,
...) and answers too many requests with a throttling error. Retrying those with botocore's backoff
alone burns its retry quota and then fails; sending at the rate the service allows does not.

Each operation starts unlimited. The first throttling answer sets its rate just under what was
actually sent in the last second; each further throttle lowers it (at most once per half second,
so that a burst of answers to requests already in flight counts once), and each success raises it
(back to the rate last throttled within about half a second, then by half of itself per second of
successes), so the rate settles just
under the quota and follows it when it changes. Requests wait for their turn; a wait that would end
after the caller's deadline is refused instead, so the caller can answer in time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

FLOOR = 0.5  # requests per second: the slowest an operation is ever paced
BACKOFF = 0.7  # a throttle multiplies the rate by this
COOL_DOWN = 0.5  # seconds during which further throttles do not lower the rate again
WINDOW = 1.0  # seconds of sends that measure the rate actually sent
MIN_SPAN = 0.25  # seconds: the shortest span a rate is measured over
RECOVER = 0.5  # share of the last throttled rate added per second of successes, below it
PROBE = 0.5  # above it: the rate grows by this share of itself per second of successes


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class _Operation:
    __slots__ = ("rate", "next_at", "sent", "lowered_at", "ceiling", "first")

    def __init__(self) -> None:
        self.rate: float | None = None  # None: unlimited (never throttled yet)
        self.next_at = 0.0
        self.sent: deque[float] = deque()
        self.lowered_at = float("-inf")
        self.ceiling = 0.0  # the rate sent when last throttled
        self.first: float | None = None  # when the first call was sent


class AdaptiveRate:
    """Paces calls per operation name; thread-safe, one instance per client."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] | None = None):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._operations: dict[str, _Operation] = {}

    def rate(self, operation: str) -> float | None:
        """The current rate of ``operation`` in requests per second (None: not limited)."""
        with self._lock:
            found = self._operations.get(operation)
            return found.rate if found else None

    def wait(self, operation: str, deadline: float | None = None) -> bool:
        """Wait for ``operation``'s turn; False (without waiting) when it would come after ``deadline``.

        A turn is taken when it comes, not booked ahead: waiters that sleep through a rise of the
        rate get the faster pace as soon as they wake."""
        while True:
            with self._lock:
                op = self._operations.setdefault(operation, _Operation())
                now = self._clock()
                if op.rate is None or now >= op.next_at:
                    if op.rate is not None:
                        op.next_at = max(now, op.next_at) + 1.0 / op.rate
                    op.sent.append(now)
                    if op.first is None:
                        op.first = now
                    while op.sent and op.sent[0] < now - WINDOW:
                        op.sent.popleft()
                    return True
                if deadline is not None and op.next_at > deadline:
                    return False
                delay = op.next_at - now
            (self._sleep or _sleep)(delay)

    def throttled(self, operation: str) -> None:
        """The service refused a call of ``operation`` as too many: slow down."""
        with self._lock:
            op = self._operations.setdefault(operation, _Operation())
            now = self._clock()
            if now - op.lowered_at < COOL_DOWN:
                return
            op.lowered_at = now
            # the rate sent: calls over the last WINDOW, or over the time since the first call when
            # that is shorter (at least MIN_SPAN: a burst of a few calls is no rate yet)
            span = max(MIN_SPAN, min(WINDOW, now - (op.first if op.first is not None else now)))
            sent = sum(1 for t in op.sent if now - WINDOW <= t <= now) / span
            op.ceiling = op.rate if op.rate is not None else max(sent, FLOOR)
            op.rate = max(FLOOR, BACKOFF * op.ceiling)
            op.next_at = max(op.next_at, now + 1.0 / op.rate)

    def succeeded(self, operation: str) -> None:
        """A call of ``operation`` went through: probe a little faster."""
        with self._lock:
            op = self._operations.get(operation)
            if op is not None and op.rate is not None:
                # back quickly to just under the rate last throttled, then probe above it, growing
                # by half per second of successes (after a long throttle, the floor is far below the quota)
                if op.rate < 0.95 * op.ceiling:
                    op.rate += max(1.0, RECOVER * op.ceiling) / op.rate
                else:
                    op.rate += PROBE
