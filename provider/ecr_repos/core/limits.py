"""The size ceiling of a resource's properties: what an Update event may carry.

CloudFormation invokes the provider's Lambda asynchronously, and an asynchronous invocation carries
at most 1 MB of payload (Lambda API reference, Invoke: "For asynchronous invocations, the maximum
payload size is 1 MB"; 256 KB before 2025). An Update event holds the properties twice, the new
ones (``ResourceProperties``) and the old ones (``OldResourceProperties``), beside an envelope
(``ResponseURL``, a presigned S3 URL with a session token, ``StackId``, ``RequestId``, ...). So a
resource whose properties pass half the limit can be created but never updated again.

Pure functions of plain data: the CLI (``validate``, ``plan``) and the cfn-lint rule W9102 import
them, so that all three say the same thing at the same size. Nothing here imports boto3.
"""

from __future__ import annotations

import json
from typing import Any

# 1 MB read as 10**6 bytes, the lower of its two readings (AWS does not say which it means).
ASYNC_PAYLOAD_BYTES = 1_000_000
# Everything of an Update event but the two property maps. Measured events hold 1.5-3 KB (the
# ResponseURL's session token is most of it); 8 KB leaves room for long stack and logical ids.
ENVELOPE_BYTES = 8_192
# The properties' share: an Update with the old and new properties this size still fits.
MAX_PROPERTIES_BYTES = (ASYNC_PAYLOAD_BYTES - ENVELOPE_BYTES) // 2


def _as_sent(value: Any) -> Any:
    """``value`` as CloudFormation sends it: every scalar a string, at any depth."""
    if isinstance(value, dict):
        return {str(k): _as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return str(value)


def properties_bytes(properties: Any) -> int:
    """The size of ``properties`` in an event: JSON of their string form with a space after each
    ``,`` and ``:`` (how CloudFormation spaces the event is not documented: the larger reading),
    UTF-8 bytes. Intrinsic functions still in them count as their long form
    (``{"Fn::GetAtt": [...]}``), near enough the size of what they resolve to for a warning."""
    return len(json.dumps(_as_sent(properties), ensure_ascii=False).encode("utf-8"))


def update_event_bytes(new: Any, old: Any | None = None) -> int:
    """An estimate of an Update event's size: the envelope and both property maps (``old``
    defaults to ``new``: an Update that changes little)."""
    return ENVELOPE_BYTES + properties_bytes(new) + properties_bytes(new if old is None else old)


def repositories_that_fit(properties: Any) -> int | None:
    """How many repositories of this map's average size fit the share, ``None`` without any."""
    repos = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    if not isinstance(repos, dict) or not repos:
        return None
    rest = dict(properties)
    rest.pop("EcrRepositories")
    per_repository = max(1, (properties_bytes(properties) - properties_bytes(rest)) / len(repos))
    return max(0, int((MAX_PROPERTIES_BYTES - properties_bytes(rest)) // per_repository))


def size_warning(properties: Any) -> str | None:
    """The warning for properties past their share, ``None`` when they fit (the same text for
    ``ecr-repos validate``, ``ecr-repos plan`` and cfn-lint's W9102)."""
    size = properties_bytes(properties)
    if size <= MAX_PROPERTIES_BYTES:
        return None
    repos = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    count = len(repos) if isinstance(repos, dict) else 0
    fit = repositories_that_fit(properties)
    about = f" (about {fit} repositories of this map's average size)" if fit is not None else ""
    return (f"the properties are {size:,} bytes as CloudFormation sends them ({count} repositories); an Update "
            f"event carries the old and the new properties and Lambda takes at most 1 MB asynchronously, so "
            f"keep them under {MAX_PROPERTIES_BYTES:,} bytes{about} or the next Update fails; move settings "
            "shared by the repositories into RepositoryDefaults, or split the map into several Custom::EcrRepos")
