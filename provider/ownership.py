"""Who owns a repository, and which physical ids hold it: the provider's tags.

Every repository the resource manages carries:
- ``ecr-repos:owner``       a hash of the stack id and logical id: the only test of ownership;
- ``ecr-repos:stack``, ``ecr-repos:logical-id``  the same owner, readable, for messages;
- ``ecr-repos:origin``      ``created`` or ``adopted``: adopted repositories are released, never deleted;
- ``ecr-repos:ref:<gen>``   one per physical id (generation) that declares the repository.

A physical id is ``ecr-repos:<stack name>:<logical id>:<gen>``. An Update that adds or removes
repositories returns a new generation, so CloudFormation deletes the old id only after the whole
stack update succeeded (or the new one if it failed). A Delete lets go of its own reference, and a
repository is removed only when its last reference goes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PREFIX = "ecr-repos:"
OWNER = "ecr-repos:owner"
STACK = "ecr-repos:stack"
LOGICAL_ID = "ecr-repos:logical-id"
ORIGIN = "ecr-repos:origin"
REF_PREFIX = "ecr-repos:ref:"
CREATED = "created"
ADOPTED = "adopted"

_GEN = re.compile(r"^[0-9a-f]{12}$")

OURS = "ours"
UNOWNED = "unowned"
OTHER = "other"


@dataclass(frozen=True)
class Owner:
    stack_id: str
    logical_id: str

    @property
    def token(self) -> str:
        return hashlib.sha256(f"{self.stack_id}|{self.logical_id}".encode()).hexdigest()[:32]

    @property
    def stack_name(self) -> str:
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) >= 2 else self.stack_id

    def tags(self, origin: str) -> dict[str, str]:
        return {
            OWNER: self.token,
            STACK: self.stack_name[:256],
            LOGICAL_ID: self.logical_id[:256],
            ORIGIN: origin,
        }

    def generation(self, request_id: str) -> str:
        """Deterministic per request, so a retried invocation returns the same physical id."""
        return hashlib.sha256(f"{self.token}|{request_id}".encode()).hexdigest()[:12]

    def physical_id(self, gen: str) -> str:
        return f"{PREFIX}{self.stack_name}:{self.logical_id}:{gen}"[-1000:]


def generation_of(physical_id: str | None) -> str | None:
    """The generation of one of our physical ids; ``None`` for any other id (nothing of ours then)."""
    if not physical_id or not physical_id.startswith(PREFIX):
        return None
    gen = physical_id.rsplit(":", 1)[-1]
    return gen if _GEN.match(gen) else None


def ref_key(gen: str) -> str:
    return REF_PREFIX + gen


def refs(tags: dict[str, str]) -> set[str]:
    return {k[len(REF_PREFIX):] for k in tags if k.startswith(REF_PREFIX)}


def classify(tags: dict[str, str], owner: Owner) -> str:
    token = tags.get(OWNER)
    if not token:
        return UNOWNED
    return OURS if token == owner.token else OTHER


def is_reserved(key: str) -> bool:
    return key.startswith(PREFIX) or key.startswith("aws:")
