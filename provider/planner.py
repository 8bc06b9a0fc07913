"""Pure planning: desired state and actual state in, a plan of small ECR actions out.

No boto3 here. The executor reads the state the planner asks for (``names_to_inspect``),
the planner decides, the executor applies. Rules:
- A repository is only ever written when it is ours (owner tag) or being adopted.
- Conflicts (owned by another stack, or unowned without AdoptExisting) make the whole plan
  void: the handler fails before any write.
- Create/Update never delete a repository: removal is the job of the Delete of the old physical
  id, which CloudFormation sends only after the stack update succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import access, lifecycle, ownership
from .ownership import Owner
from .spec import RepoSpec, ResourceSpec, encryption_matches


@dataclass(frozen=True)
class RepoState:
    """What ECR holds for one repository. ``tags`` is ``None`` when details were not read."""

    name: str
    immutable: bool
    scan_on_push: bool
    arn: str = ""
    tags: dict[str, str] | None = None
    lifecycle_policy: str | None = None
    repository_policy: str | None = None
    policies_read: bool = False  # lifecycle_policy and repository_policy hold what ECR has
    # From DescribeRepositories, like immutable and scan_on_push: free with every read.
    tag_exclusions: frozenset[str] = frozenset()  # imageTagMutabilityExclusionFilters' filters
    encryption: str = "AES256"
    kms_key: str | None = None

    @property
    def inspected(self) -> bool:
        return self.tags is not None


# --- actions: one ECR write each -------------------------------------------------------------


@dataclass(frozen=True)
class CreateRepository:
    repo: str
    immutable: bool
    scan_on_push: bool
    tags: tuple[tuple[str, str], ...]
    tag_exclusions: tuple[str, ...] = ()
    encryption: str = "AES256"
    kms_key: str | None = None


@dataclass(frozen=True)
class SetMutability:
    repo: str
    immutable: bool
    tag_exclusions: tuple[str, ...] = ()  # non-empty: ..._WITH_EXCLUSION with these filters


@dataclass(frozen=True)
class SetScanOnPush:
    repo: str
    scan_on_push: bool


@dataclass(frozen=True)
class PutLifecyclePolicy:
    repo: str
    text: str


@dataclass(frozen=True)
class SetRepositoryPolicy:
    repo: str
    text: str


@dataclass(frozen=True)
class DeleteRepositoryPolicy:
    repo: str


@dataclass(frozen=True)
class TagRepository:
    repo: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UntagRepository:
    repo: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DeleteRepository:
    repo: str
    force: bool  # EmptyOnDelete: delete the images too


@dataclass(frozen=True)
class DeleteIfEmpty:
    """Remove an empty repository that only a failed attempt ever held; keep it if it has images."""

    repo: str


Action = (
    CreateRepository
    | SetMutability
    | SetScanOnPush
    | PutLifecyclePolicy
    | SetRepositoryPolicy
    | DeleteRepositoryPolicy
    | TagRepository
    | UntagRepository
    | DeleteRepository
    | DeleteIfEmpty
)

# What happens to a repository, for the plan's readers (CLI, logs).
CREATE = "create"
UPDATE = "update"
ADOPT = "adopt"
KEEP = "keep"  # ours and in sync, or only a reference tag changes
DELETE = "delete"
RELEASE = "release"  # adopted repository handed back, with its images
UNREF = "unref"  # another physical id still holds it


@dataclass(frozen=True)
class RepoChange:
    repo: str
    change: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Conflict:
    repo: str
    owner_stack: str | None  # None: exists, but no stack owns it (or, with encryption, ours)
    # Set when the repository's encryption, fixed at creation, is not the declared one:
    # (what it has, what is declared), each as "AES256" or "KMS <key>".
    encryption: tuple[str, str] | None = None


@dataclass(frozen=True)
class PolicyTooLarge:
    """The provider's statements merged with the foreign ones would pass ECR's policy size limit."""

    repo: str
    length: int
    foreign_length: int  # characters of the statements others wrote


@dataclass(frozen=True)
class Plan:
    physical_id: str
    changes: tuple[RepoChange, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    removed: tuple[str, ...] = ()  # dropped from the map: left to the Delete of the old physical id
    oversized: tuple[PolicyTooLarge, ...] = ()  # like conflicts, they void the plan

    @property
    def actions(self) -> list[Action]:
        return [a for c in self.changes for a in c.actions]

    def by_change(self, change: str) -> list[str]:
        return [c.repo for c in self.changes if c.change == change]


# --- Create / Update -------------------------------------------------------------------------


def names_to_inspect(
    desired: ResourceSpec, old: ResourceSpec | None, existing: set[str], *, full: bool = False
) -> set[str]:
    """Existing repositories whose tags, lifecycle and repository policies must be read.

    On Create, every declared repository that exists. On Update, those that are new to the map
    (their owner must be checked) or whose settings changed; a repository declared the same way
    in the old and new properties is trusted to be ours and in sync (its mutability and scanning
    are still compared, as the registry listing returns them at no cost). ``full`` (a repair: the
    ReconcileToken changed, or ``ecr-repos drift``): every declared repository that exists, so the
    plan corrects whatever was changed by hand.
    """
    names = set()
    for name, repo in desired.repos.items():
        if name not in existing:
            continue
        if full or old is None or name not in old.repos or old.repos[name] != repo:
            names.add(name)
    return names


def names_to_check_refs(desired: ResourceSpec, old: ResourceSpec | None, existing: set[str]) -> set[str]:
    """Existing repositories whose tags (only) must be read: on an Update that changes the set of
    names, every old and new one, to tell which physical id holds what (a rollback sends the old
    names back) and to drop references of failed attempts."""
    if old is None or set(old.repos) == set(desired.repos):
        return set()
    return (set(desired.repos) | set(old.repos)) & existing


def plan_apply(
    desired: ResourceSpec,
    states: dict[str, RepoState | None],
    owner: Owner,
    request_gen: str,
    *,
    old: ResourceSpec | None = None,
    old_gen: str | None = None,
) -> Plan:
    """Plan a Create (``old`` is None) or an Update to ``desired``.

    The plan keeps the current physical id (``old_gen``) when it already holds exactly the
    declared repositories, and takes ``request_gen`` otherwise. ``states`` has an entry for every
    declared name and, on Update, every name dropped from the map.
    """
    removed = sorted(set(old.repos) - set(desired.repos)) if old else []
    new_gen = request_gen
    if old is not None and old_gen and not _needs_new_generation(desired, old, removed, states, owner, old_gen):
        new_gen = old_gen
    changes: list[RepoChange] = []
    conflicts: list[Conflict] = []
    oversized: list[PolicyTooLarge] = []
    keep_refs = {new_gen} | ({old_gen} if old_gen else set())
    for name in desired.names:
        want = desired.repos[name]
        state = states.get(name)
        old_repo = old.repos.get(name) if old else None
        if state is None:
            changes.append(_create(want, owner, new_gen))
            continue
        if state.tags is None:
            if not _encryption_ok(want, state):
                conflicts.append(_encryption_conflict(want, state))
                continue
            changes.append(_trusted(want, state, new_gen, old_gen))
            continue
        kind = ownership.classify(state.tags, owner)
        if kind == ownership.OTHER:
            conflicts.append(Conflict(name, state.tags.get(ownership.STACK, "?")))
            continue
        if kind == ownership.UNOWNED and not desired.adopt_existing:
            conflicts.append(Conflict(name, None))
            continue
        if not _encryption_ok(want, state):
            conflicts.append(_encryption_conflict(want, state))
            continue
        change = _reconcile(want, state, owner, new_gen, keep_refs, old_repo, adopt=kind == ownership.UNOWNED)
        too_large = _oversized(change)
        if too_large:
            oversized.append(too_large)
        changes.append(change)
    for name in removed:
        orphan = _orphan(states.get(name), owner, keep_refs)
        if orphan:
            changes.append(orphan)
    return Plan(owner.physical_id(new_gen), tuple(changes), tuple(conflicts), tuple(removed), tuple(oversized))


def _oversized(change: RepoChange) -> PolicyTooLarge | None:
    for action in change.actions:
        if isinstance(action, SetRepositoryPolicy) and len(action.text) > access.MAX_POLICY_CHARS:
            _, foreign = access.split(action.text)
            return PolicyTooLarge(change.repo, len(action.text), access.chars(foreign))
    return None


def _encryption_ok(want: RepoSpec, state: RepoState) -> bool:
    return encryption_matches(want.encryption, want.kms_key, state.encryption, state.kms_key)


def _encryption_text(kind: str, key: str | None) -> str:
    return f"{kind} {key}" if key else kind


def _encryption_conflict(want: RepoSpec, state: RepoState) -> Conflict:
    """ECR fixes encryption at creation: no write can change it, so the plan is void."""
    return Conflict(want.name, None, (_encryption_text(state.encryption, state.kms_key),
                                      _encryption_text(want.encryption, want.kms_key)))


def _held_by(state: RepoState | None, gen: str) -> bool:
    return state is not None and state.tags is not None and ownership.ref_key(gen) in state.tags


def _needs_new_generation(
    desired: ResourceSpec,
    old: ResourceSpec,
    removed: list[str],
    states: dict[str, RepoState | None],
    owner: Owner,
    old_gen: str,
) -> bool:
    """Whether the current physical id holds anything but the declared repositories.

    A name new to the map needs a new id unless the current id already holds it (an Update that
    rolls back a failed one sends such names back); a dropped name needs one only if the current
    id holds it, so that its removal waits for the Delete of the current id.
    """
    for name in desired.repos:
        if name not in old.repos and not _held_by(states.get(name), old_gen):
            return True
    for name in removed:
        state = states.get(name)
        if state is None:
            continue
        if state.tags is None:
            return True  # not read: assume the current id holds it
        if ownership.classify(state.tags, owner) == ownership.OURS and _held_by(state, old_gen):
            return True
    return False


def _orphan(state: RepoState | None, owner: Owner, keep_refs: set[str]) -> RepoChange | None:
    """A dropped repository that no live physical id holds: only a failed attempt ever declared it.
    Remove it if empty (release it if adopted); it never holds the current id's reference."""
    if state is None or state.tags is None or ownership.classify(state.tags, owner) != ownership.OURS:
        return None
    if ownership.refs(state.tags) & keep_refs:
        return None
    if state.tags.get(ownership.ORIGIN) == ownership.ADOPTED:
        ours = tuple(sorted(k for k in state.tags if k.startswith(ownership.PREFIX)))
        return RepoChange(state.name, RELEASE, (UntagRepository(state.name, ours),))
    return RepoChange(state.name, DELETE, (DeleteIfEmpty(state.name),))


def _create(want: RepoSpec, owner: Owner, gen: str) -> RepoChange:
    tags = {**want.tag_map, **owner.tags(ownership.CREATED), ownership.ref_key(gen): "1"}
    actions: list[Action] = [
        CreateRepository(want.name, want.immutable, want.scan_on_push, tuple(sorted(tags.items())),
                         want.tag_exclusions, want.encryption, want.kms_key),
        PutLifecyclePolicy(want.name, want.lifecycle_policy),
    ]
    if want.repository_policy:
        actions.append(SetRepositoryPolicy(want.name, want.repository_policy))
    return RepoChange(want.name, CREATE, tuple(actions))


def _settings(want: RepoSpec, state: RepoState) -> list[Action]:
    actions: list[Action] = []
    # Exclusion filters compare as sets: ECR keeps them in no promised order.
    if state.immutable != want.immutable or state.tag_exclusions != frozenset(want.tag_exclusions):
        actions.append(SetMutability(want.name, want.immutable, want.tag_exclusions))
    if state.scan_on_push != want.scan_on_push:
        actions.append(SetScanOnPush(want.name, want.scan_on_push))
    return actions


def _trusted(want: RepoSpec, state: RepoState, new_gen: str, old_gen: str | None) -> RepoChange:
    """A repository declared alike before and after: only cheap drift and the new reference."""
    actions = _settings(want, state)
    if new_gen != old_gen:
        actions.append(TagRepository(want.name, ((ownership.ref_key(new_gen), "1"),)))
    return RepoChange(want.name, UPDATE if _settings(want, state) else KEEP, tuple(actions))


def _repository_policy(want: RepoSpec, state: RepoState) -> list[Action]:
    """The write that makes the provider's statements those declared, every foreign one kept in
    order: the policy is deleted only when no foreign statement remains. A current policy that is
    not readable JSON is left alone (nothing could be kept of it safely)."""
    if not access.readable(state.repository_policy):
        return []
    merged = access.merge(state.repository_policy, want.repository_policy)
    if merged is None:
        return [DeleteRepositoryPolicy(want.name)] if state.repository_policy is not None else []
    if access.canonical(merged) == access.canonical(state.repository_policy):
        return []
    return [SetRepositoryPolicy(want.name, merged)]


def _reconcile(
    want: RepoSpec,
    state: RepoState,
    owner: Owner,
    new_gen: str,
    keep_refs: set[str],
    old_repo: RepoSpec | None,
    *,
    adopt: bool,
) -> RepoChange:
    assert state.tags is not None
    actual = state.tags
    settings = _settings(want, state)
    if state.policies_read:
        if lifecycle.canonical(state.lifecycle_policy) != lifecycle.canonical(want.lifecycle_policy):
            settings.append(PutLifecyclePolicy(want.name, want.lifecycle_policy))
        settings.extend(_repository_policy(want, state))

    wanted_tags = dict(want.tag_map)
    wanted_tags[ownership.ref_key(new_gen)] = "1"
    if adopt:
        wanted_tags.update(owner.tags(ownership.ADOPTED))
    to_tag = {k: v for k, v in wanted_tags.items() if actual.get(k) != v}
    managed_before = set(old_repo.tag_map) if old_repo else set()
    to_untag = {k for k in managed_before - set(want.tag_map) if k in actual}
    to_untag |= {ownership.ref_key(g) for g in ownership.refs(actual) - keep_refs}

    actions: list[Action] = []
    if to_tag:
        actions.append(TagRepository(want.name, tuple(sorted(to_tag.items()))))
    if to_untag:
        actions.append(UntagRepository(want.name, tuple(sorted(to_untag))))
    actions.extend(settings)
    user_tags_changed = any(not k.startswith(ownership.PREFIX) for k in to_tag) or any(
        not k.startswith(ownership.PREFIX) for k in to_untag
    )
    if adopt:
        change = ADOPT
    elif settings or user_tags_changed:
        change = UPDATE
    else:
        change = KEEP
    return RepoChange(want.name, change, tuple(actions))


# --- Delete ----------------------------------------------------------------------------------


def plan_delete(
    names: list[str],
    states: dict[str, RepoState | None],
    owner: Owner,
    physical_id: str,
    empty_on_delete: dict[str, bool],
) -> Plan:
    """Let go of the repositories that ``physical_id`` holds: delete those it was the last to hold
    (if created by us), release adopted ones, and only drop the reference where another physical id
    still holds them. Anything not ours, or not held by this id, is left alone."""
    gen = ownership.generation_of(physical_id)
    changes: list[RepoChange] = []
    if gen is None:
        return Plan(physical_id)
    for name in sorted(names):
        state = states.get(name)
        if state is None or state.tags is None:
            continue
        tags = state.tags
        if ownership.classify(tags, owner) != ownership.OURS or gen not in ownership.refs(tags):
            continue
        if ownership.refs(tags) - {gen}:
            changes.append(RepoChange(name, UNREF, (UntagRepository(name, (ownership.ref_key(gen),)),)))
        elif tags.get(ownership.ORIGIN) == ownership.ADOPTED:
            ours = tuple(sorted(k for k in tags if k.startswith(ownership.PREFIX)))
            changes.append(RepoChange(name, RELEASE, (UntagRepository(name, ours),)))
        else:
            changes.append(RepoChange(name, DELETE, (DeleteRepository(name, empty_on_delete.get(name, False)),)))
    return Plan(physical_id, tuple(changes))
