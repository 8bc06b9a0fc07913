"""Who owns a repository, and which physical ids (generations) hold it: the provider's tags.

Every repository the resource manages carries at most six tags of the provider's own:
- ``ecr-repos:owner``       a hash of the stack id and logical id: the only test of ownership;
- ``ecr-repos:stack``, ``ecr-repos:logical-id``  the same owner, readable, for messages;
- ``ecr-repos:origin``      ``created:<gen>:<doc>`` or ``adopted:<gen>:<doc>``: adopted repositories are
                            released, never deleted; ``gen`` is the generation that created or took it,
                            ``doc`` the id of the in-place Update that added it (from its old and new
                            documents; empty on Create): that Update's rollback removes it at once;
- ``ecr-repos:drop``        ``<gen>:<child>`` on a repository an Update removed: generation ``gen`` holds
                            it, its successor ``child`` does not; only the cleanup Delete of ``gen``,
                            while ``child`` is live, acts on it;
- ``ecr-repos:ledger``      on one repository (the holder): ``<n>:<live>:<pending>:<retired>:<dead>``,
                            the state of the resource's generations (see below); a Create writes
                            ``0:<gen>::::`` on its first repository, in the same CreateRepository call;
- ``ecr-repos:removed``     beside the ledger, by an Update that removes repositories: ``<gen>:<child>:
                            <name>+<name>...`` (when it fits in a tag value), so that the cleanup Delete of
                            ``gen`` reads the repositories it removes by name. Never beside ``drop``.

Where the ledger is, by name: the holder is the first repository of the properties, in name order,
that exists, is ours and carries no drop mark (``holder_verdict``). Every ledger write goes there (an
Update that removes repositories writes on the first such repository it keeps), so a reader looks at
the first few names instead of every repository's tags, and reads them all only when that first
repository holds no ledger (a registry laid out by 0.2.0, or repositories added before the holder).

A physical id is ``ecr-repos:<stack name>:<logical id>:<gen>``. Only an Update that removes a repository
the current generation holds takes a new generation; additions and settings keep the id. Repositories
the Update keeps are never written for it: the ledger alone tells every later Delete whether its
generation is live, superseded (a cleanup Delete) or a rolled-back child. Releases before this one
wrote ``ecr-repos:ref:<gen>`` per generation holding a repository; those are still read (legacy).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, NamedTuple

PREFIX = "ecr-repos:"
OWNER = "ecr-repos:owner"
STACK = "ecr-repos:stack"
LOGICAL_ID = "ecr-repos:logical-id"
ORIGIN = "ecr-repos:origin"
DROP = "ecr-repos:drop"
LEDGER = "ecr-repos:ledger"
REMOVED = "ecr-repos:removed"
REF_PREFIX = "ecr-repos:ref:"  # legacy: one per generation holding the repository (earlier releases)
CREATED = "created"
ADOPTED = "adopted"
MAX_TAGS = 50  # ECR's quota per repository (TooManyTagsException)
OWN_TAGS = 6  # owner, stack, logical-id, origin, ledger, and drop or removed: the most the provider keeps at once
MAX_TAG_VALUE = 256

_GEN = re.compile(r"^[0-9a-f]{12}$")

OURS = "ours"
UNOWNED = "unowned"
OTHER = "other"


class Owner:
    """A resource's identity: the stack id and logical id."""

    __slots__ = ("stack_id", "logical_id", "token")

    def __init__(self, stack_id: str, logical_id: str):
        self.stack_id = stack_id
        self.logical_id = logical_id
        self.token = hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:32]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Owner) and (self.stack_id, self.logical_id) == (other.stack_id, other.logical_id)

    def __hash__(self) -> int:
        return hash((self.stack_id, self.logical_id))

    def __repr__(self) -> str:
        return f"Owner({self.stack_id!r}, {self.logical_id!r})"

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


def generation_for(physical_id: str | None, owner: Owner) -> str | None:
    """The generation of ``physical_id`` if it is one of ``owner``'s ids (its stack and logical id);
    ``None`` for any other id, well-formed or not: a Delete of it touches nothing."""
    gen = generation_of(physical_id)
    return gen if gen is not None and physical_id == owner.physical_id(gen) else None


def document_hash(properties: Any) -> str:
    """A short hash of a property document as CloudFormation sent it (key order ignored)."""
    text = json.dumps(properties, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def transition(before: Any, after: Any) -> str:
    """The id of an Update from document ``before`` to ``after``. Its rollback Update (``after`` back to
    ``before``) has ``transition(after, before)`` as its reverse: ``transition(before, after)``."""
    both = f"{document_hash(before)}>{document_hash(after)}"
    return hashlib.sha256(both.encode()).hexdigest()[:12]


def origin_value(kind: str, gen: str, doc: str) -> str:
    return f"{kind}:{gen}:{doc}"


class Origin(NamedTuple):
    kind: str  # CREATED or ADOPTED
    gen: str | None  # None: written by an earlier release ("created" / "adopted" alone)
    doc: str | None


def origin_of(tags: dict[str, str]) -> Origin:
    parts = tags.get(ORIGIN, CREATED).split(":")
    kind = ADOPTED if parts[0] == ADOPTED else CREATED
    return Origin(kind, parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def is_adopted(tags: dict[str, str]) -> bool:
    return origin_of(tags).kind == ADOPTED


def drop_value(gen: str, child: str) -> str:
    return f"{gen}:{child}"


class Ledger(NamedTuple):
    """The generations of one resource. ``live``: the id CloudFormation holds; ``pending``: the id an
    Update answered that CloudFormation has not yet committed (cleanup) or rolled back; ``retired``: the
    last live id a cleanup Delete let go of; ``dead``: the last pending id rolled back."""

    count: int
    live: str
    pending: str = ""
    retired: str = ""
    dead: str = ""

    def value(self) -> str:
        return f"{self.count}:{self.live}:{self.pending}:{self.retired}:{self.dead}"


# Ledgers this release places by the holder rule count from here: a reader trusts the first
# repository's ledger alone only then. 0.2.0 counted from 1 and put its ledger on any kept repository;
# its ledgers are read as before (every repository's tags, the highest count wins), and the first
# removal under this release moves the ledger to the holder. Higher counts also make 0.2.0, should
# the provider be rolled back to it, prefer these ledgers over any it left behind.
PLACED = 1_000_000_000


def first_ledger(gen: str) -> Ledger:
    """The ledger a Create writes: ``gen`` is live, nothing else was ever issued."""
    return Ledger(PLACED, gen)


def is_placed(ledger: Ledger | None) -> bool:
    return ledger is not None and ledger.count >= PLACED


def ledger_of(tags: dict[str, str]) -> Ledger | None:
    raw = tags.get(LEDGER)
    if not raw:
        return None
    parts = raw.split(":")
    if len(parts) != 5 or not parts[0].isdigit() or not _GEN.match(parts[1]):
        return None
    return Ledger(int(parts[0]), *parts[1:])


SEPARATOR = "+"  # in no repository name; allowed in tag values


def removed_value(gen: str, child: str, names: list[str]) -> str | None:
    """The ``removed`` tag of the Update from ``gen`` to ``child``; ``None`` when it does not fit a tag value."""
    value = f"{gen}:{child}:{SEPARATOR.join(sorted(names))}"
    return value if names and len(value) <= MAX_TAG_VALUE else None


def removed_of(tags: dict[str, str], gen: str, child: str) -> list[str] | None:
    """The names the Update from ``gen`` to ``child`` removed, if this repository's ``removed`` tag is that
    Update's; ``None`` otherwise (then the names are unknown: read every repository)."""
    raw = tags.get(REMOVED, "")
    parts = raw.split(":", 2)
    if len(parts) != 3 or parts[0] != gen or parts[1] != child or not parts[2]:
        return None
    return parts[2].split(SEPARATOR)


def ref_key(gen: str) -> str:
    return REF_PREFIX + gen


def refs(tags: dict[str, str]) -> set[str]:
    """Legacy reference tags (releases before the ledger)."""
    return {k[len(REF_PREFIX):] for k in tags if k.startswith(REF_PREFIX)}


def is_bookkeeping(key: str) -> bool:
    """The tags that record which physical ids hold a repository (no user-visible meaning)."""
    return key in (DROP, LEDGER, REMOVED) or key.startswith(REF_PREFIX)


def classify(tags: dict[str, str], owner: Owner) -> str:
    token = tags.get(OWNER)
    if not token:
        return UNOWNED
    return OURS if token == owner.token else OTHER


HOLDER = "holder"  # the first candidate: the ledger is here if the resource has one
SKIP = "skip"  # not a candidate: missing, not ours, or marked dropped
NO_LEDGER = "no-ledger"  # the first candidate holds no ledger: only every repository's tags can tell


def holder_verdict(tags: dict[str, str] | None, owner: Owner) -> str:
    """What one repository, met in name order, says about where the ledger is (``tags`` None: missing)."""
    if tags is None or classify(tags, owner) != OURS or DROP in tags:
        return SKIP
    return HOLDER if ledger_of(tags) is not None else NO_LEDGER


def is_reserved(key: str) -> bool:
    return key.startswith(PREFIX) or key.startswith("aws:")
