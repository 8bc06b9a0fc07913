"""Count ECR calls and simulate their latency with botocore event hooks.

Both hooks go on a boto3 session's event emitter; every client made from that session afterwards
(the provider makes its own through ``boto3.client``) copies them.

- ``before-parameter-build.ecr``: once per API call (not per retry attempt), with the call's
  parameters: counts the operation and remembers which repository it touched.
- ``before-send.ecr``: once per HTTP attempt, registered *first* so it runs before moto's own
  ``before-send`` handler answers the request: sleeps the simulated network latency.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


class EcrCalls:
    """Thread-safe tally of ECR operations, split into reads and writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def record(self, model: Any, params: Any = None, **_: Any) -> None:
        with self._lock:
            self.counts[model.name] += 1
            self.calls.append((model.name, dict(params) if isinstance(params, dict) else {}))

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.calls.clear()

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.counts.items() if is_read(op))

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.counts.items() if not is_read(op))

    def writes_by_repo(self) -> Counter[str]:
        """Write calls per repository name (from ``repositoryName`` or the ARN of tag calls)."""
        out: Counter[str] = Counter()
        for op, body in self.calls:
            if is_read(op):
                continue
            name = body.get("repositoryName") or body.get("resourceArn", "").split(":repository/", 1)[-1]
            out[name] += 1
        return out


def install(session: Any, calls: EcrCalls | None = None, latency: float = 0.0) -> EcrCalls:
    """Hook ``session`` (a boto3 or botocore session): count ECR calls, sleep ``latency`` per attempt."""
    calls = calls if calls is not None else EcrCalls()
    events = session.events if hasattr(session, "events") else session.get_component("event_emitter")
    events.register("before-parameter-build.ecr", calls.record)
    if latency > 0:
        def sleep(**_: Any) -> None:
            time.sleep(latency)  # returns None: the request goes on to moto (or the network)

        events.register_first("before-send.ecr", sleep)
    return calls
