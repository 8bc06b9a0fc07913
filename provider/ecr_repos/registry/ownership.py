"""Who owns which part of the registry, without tags (ECR cannot tag registry parts).

A resource owns what it declared before: the OldResourceProperties of an Update, the properties of a
Delete (``spec.previous``). Everything else in the registry is someone else's, whoever made it.

Registry policy statements are the exception, because their Sid can carry a mark: every statement a
resource writes has the Sid ``EcrRegistry<8 hex of its stack id and logical id><declared Sid>``
(``sid_prefix``), so two resources never write the same Sid, and a rollback or a Delete finds exactly
its own statements, whatever the properties say. The
physical id names the resource and when CloudFormation asked for it (``ecr-registry:<stack>:<logical
id>:<epoch ms>``, from the Create's presigned ResponseURL, the same in every delivery) and never
changes, so CloudFormation never replaces it and never sends a cleanup Delete.

Declared-before is not always written-by: CloudFormation's rollback of an Update this resource refused
(a declared prefix was another's) names that prefix in its OldResourceProperties. Pull-through cache
rules and creation templates carry ECR's ``createdAt``: one created before this resource was (the
epoch of its physical id) was never this resource's, unless adopted, and is never removed. Replication
rules and exclusions carry no date: an identical one of another resource cannot be told apart
(docs/registry.md, "Ownership"). A Create refused before any write
answers with ``<id>:unwritten``: its Delete then removes nothing (what it declared may be another's).
"""

from __future__ import annotations

import hashlib

PREFIX = "ecr-registry"
UNWRITTEN = ":unwritten"


def physical_id(stack_id: str, logical_id: str, created: float) -> str:
    stack_name = stack_id.split(":")[-1].split("/")[1] if "/" in stack_id else stack_id
    return f"{PREFIX}:{stack_name}:{logical_id}:{int(created * 1000)}"


def created_at(physical: str | None) -> float | None:
    """When (epoch seconds) a physical id of ours was created (None: an id without the time)."""
    last = (physical or "").removesuffix(UNWRITTEN).rsplit(":", 1)[-1]
    return int(last) / 1000 if last.isdigit() else None


def unwritten(physical: str) -> str:
    return physical + UNWRITTEN


def owns_nothing(physical: str | None) -> bool:
    """A Delete of this id removes nothing: not ours, or a Create that failed before writing."""
    return not physical or not physical.startswith(PREFIX + ":") or physical.endswith(UNWRITTEN)


def sid_prefix(stack_id: str, logical_id: str) -> str:
    """The start of every Sid this resource writes: stable for the resource's life, unique per stack and logical id."""
    digest = hashlib.sha256(f"{stack_id}/{logical_id}".encode()).hexdigest()[:8]
    return f"EcrRegistry{digest}"
