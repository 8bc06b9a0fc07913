"""Going on in a fresh invocation: work longer than one Lambda invocation, answered once.

CloudFormation waits for an answer until ``ServiceTimeout`` (one hour when absent) after it sent the
request; a Lambda invocation lives at most 900 s. When an invocation's time runs out and
CloudFormation still waits, the provider does not answer: it invokes its own function
asynchronously (``lambda:Invoke``, ``InvocationType: Event``, on ``context.invoked_function_arn``)
with the same event plus a *continuation record* under ``KEY``, and the next invocation resumes
where this one stopped. Only the invocation that finishes (or the one that meets the end of
ServiceTimeout) answers.

The record (``Record``) is:

- ``Chain``: the id of this request's chain of invocations (a hash of the RequestId and the first
  receipt), which the resource type may write where a late duplicate can read it;
- ``Link``: 1 for the first continuation, 2 for the next...;
- ``ReceivedAt``: when the first invocation started (epoch seconds), so that ServiceTimeout is
  counted from the first receipt, not from each link (``core.deadline.budget(received=...)``);
- ``State``: what the invocations before learned and did, opaque to the core (the resource type's
  ``resume`` reads it), as compressed JSON in base64; absent when it did not fit: the next link then
  reads again from the start, which is always safe (it is what a duplicate delivery does).

Size: Lambda's asynchronous Invoke takes at most 1 MB of payload (Lambda API reference, Invoke;
256 KB is the limit of the deprecated InvokeAsync and of older accounts' asynchronous invocations).
The provider keeps the whole payload under ``MAX_PAYLOAD_BYTES`` (256 KiB), which holds under both.

Knows no ECR; ``core.protocol`` decides when to go on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

KEY = "EcrReposContinuation"  # a key CloudFormation never sends in its events
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_LINKS = 64  # a runaway chain (no progress) still ends long before: 64 x 900 s > ServiceTimeout's 3600 s


class Unfinished(Exception):
    """Raised by a resource type's operation that stopped for lack of time (``cause``, an
    ``OutOfTime``): ``state`` (JSON-able) is what the next invocation needs to resume; None: read
    again from the start. The core hands it over, or answers FAILED with ``str(cause)``."""

    def __init__(self, cause: Exception, state: Any = None):
        super().__init__(str(cause))
        self.cause = cause
        self.state = state


class Stale(Exception):
    """Raised by an operation that finds its request already over (answered, or its resource gone):
    the core sends no answer, and nothing may be written."""


class ContinuationFailed(Exception):
    """The asynchronous invocation of the function itself was refused."""


@dataclass(frozen=True)
class Record:
    chain: str
    link: int
    received_at: float  # epoch seconds: the first invocation's start
    state: str | None = None  # ``pack``ed; None: read again from the start

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Chain": self.chain, "Link": self.link, "ReceivedAt": self.received_at}
        if self.state is not None:
            body["State"] = self.state
        return body

    @classmethod
    def from_json(cls, value: Any) -> "Record":
        """The record of an event; ValueError when it is not one the provider wrote."""
        if not isinstance(value, dict):
            raise ValueError("not an object")
        chain, link, received = value.get("Chain"), value.get("Link"), value.get("ReceivedAt")
        state = value.get("State")
        if not isinstance(chain, str) or not chain or isinstance(link, bool) or not isinstance(link, int) \
                or link < 1 or isinstance(received, bool) or not isinstance(received, (int, float)) \
                or not (state is None or isinstance(state, str)):
            raise ValueError(f"malformed continuation record {sorted(value)}")
        return cls(chain=chain, link=link, received_at=float(received), state=state)


def chain_id(request_id: str, received_at: float) -> str:
    return hashlib.sha256(f"{request_id}|{received_at!r}".encode()).hexdigest()[:16]


def split(event: dict[str, Any]) -> tuple[dict[str, Any], Record | None]:
    """CloudFormation's event without the record, and the record (None: the first invocation).
    Raises ValueError for a record the provider did not write."""
    if KEY not in event:
        return event, None
    rest = {k: v for k, v in event.items() if k != KEY}
    return rest, Record.from_json(event[KEY])


def pack(state: Any) -> str:
    return base64.b64encode(zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 6)).decode("ascii")


def unpack(text: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(text.encode("ascii"))))


def payload(event: dict[str, Any], record: Record) -> bytes:
    """The next invocation's event, within ``MAX_PAYLOAD_BYTES``: without the state if it must."""
    body = json.dumps({**event, KEY: record.to_json()}, separators=(",", ":")).encode()
    if len(body) <= MAX_PAYLOAD_BYTES or record.state is None:
        return body
    logger.warning("continuation state of %d bytes does not fit; the next invocation reads again", len(body))
    bare = Record(record.chain, record.link, record.received_at, None)
    return json.dumps({**event, KEY: bare.to_json()}, separators=(",", ":")).encode()


def region_of(function_arn: str) -> str | None:
    parts = function_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def make_client(region: str | None) -> Any:
    """A Lambda client for the one Invoke of a hand-over (built only then: no cold-start cost)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=10)
    return boto3.client("lambda", region_name=region, config=config)


def invoke(function_arn: str, body: bytes, client: Any = None) -> None:
    """Queue the next invocation (asynchronous: Lambda answers 202 at once)."""
    lam = client if client is not None else make_client(region_of(function_arn))
    try:
        answer = lam.invoke(FunctionName=function_arn, InvocationType="Event", Payload=body)
    except Exception as exc:  # noqa: BLE001 - any refusal ends the hand-over the same way
        error = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
        raise ContinuationFailed(f"{error.get('Code', type(exc).__name__)}: {error.get('Message', exc)}") from exc
    status = answer.get("StatusCode")
    if status != 202:
        raise ContinuationFailed(f"Lambda answered {status} to the asynchronous Invoke")
