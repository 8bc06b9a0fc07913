"""Who owns which part of the registry, without tags (ECR cannot tag registry parts).

A resource owns what it declared before: the OldResourceProperties of an Update, the properties of a
Delete (``spec.previous``). Everything else in the registry is someone else's, whoever made it.

Registry policy statements are the exception, because their Sid can carry a mark: every statement a
resource writes has the Sid ``EcrRegistry<8 hex of its stack id and logical id><declared Sid>``
(``sid_prefix``), so two resources never write the same Sid, and a rollback or a Delete finds exactly
its own statements, whatever the properties say. The
physical id names the resource (``ecr-registry:<stack>:<logical id>``) and never changes, so
CloudFormation never replaces it and never sends a cleanup Delete. A Create refused before any write
answers with ``<id>:unwritten``: its Delete then removes nothing (what it declared may be another's).
"""

from __future__ import annotations

import hashlib

PREFIX = "ecr-registry"
UNWRITTEN = ":unwritten"


def physical_id(stack_id: str, logical_id: str) -> str:
    stack_name = stack_id.split(":")[-1].split("/")[1] if "/" in stack_id else stack_id
    return f"{PREFIX}:{stack_name}:{logical_id}"


def unwritten(physical: str) -> str:
    return physical + UNWRITTEN


def owns_nothing(physical: str | None) -> bool:
    """A Delete of this id removes nothing: not ours, or a Create that failed before writing."""
    return not physical or not physical.startswith(PREFIX + ":") or physical.endswith(UNWRITTEN)


def sid_prefix(stack_id: str, logical_id: str) -> str:
    """The start of every Sid this resource writes: stable for the resource's life, unique per stack and logical id."""
    digest = hashlib.sha256(f"{stack_id}/{logical_id}".encode()).hexdigest()[:8]
    return f"EcrRegistry{digest}"
