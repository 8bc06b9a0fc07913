"""Pure planning: desired state and actual state in, a plan of small ECR actions out.

No boto3 here. The executor reads the state the planner asks for (``names_to_inspect``,
``names_to_read_tags``), the planner decides, the executor applies. Rules:
- A repository is only ever written when it is ours (owner tag) or being adopted.
- Conflicts (owned by another stack, or unowned without AdoptExisting) make the whole plan
  void: the handler fails before any write.
- An Update never deletes a repository the current physical id holds: it marks it (``ecr-repos:drop``)
  and answers a new id, and the Delete of the old id (CloudFormation's cleanup, only after the whole
  stack update succeeded) deletes what is marked. Repositories it keeps are not written.
- How a physical id holds its repositories, and how each request decides: docs/design.md.

Actions and the plan are small immutable records (``state.Record``: slotted classes, cheaper to define
at import than frozen dataclasses, which matters for the Lambda's cold start).
"""

from __future__ import annotations

from typing import Any

from . import access, lifecycle, ownership
from .ownership import Ledger, Owner
from .spec import RepoSpec, ResourceSpec, encryption_matches, encryption_text
from .state import Record as _Record
from .state import RepoState


# --- actions: one ECR write each -------------------------------------------------------------


class CreateRepository(_Record):
    __slots__ = ("repo", "immutable", "scan_on_push", "tags", "tag_exclusions", "encryption", "kms_key")
    _defaults = {"tag_exclusions": (), "encryption": "AES256", "kms_key": None}
    repo: str
    immutable: bool
    scan_on_push: bool
    tags: tuple[tuple[str, str], ...]
    tag_exclusions: tuple[str, ...]
    encryption: str
    kms_key: str | None


class SetMutability(_Record):
    __slots__ = ("repo", "immutable", "tag_exclusions")
    _defaults = {"tag_exclusions": ()}
    repo: str
    immutable: bool
    tag_exclusions: tuple[str, ...]  # non-empty: ..._WITH_EXCLUSION with these filters


class SetScanOnPush(_Record):
    __slots__ = ("repo", "scan_on_push")
    repo: str
    scan_on_push: bool


class PutLifecyclePolicy(_Record):
    __slots__ = ("repo", "text")
    repo: str
    text: str


class SetRepositoryPolicy(_Record):
    __slots__ = ("repo", "text")
    repo: str
    text: str


class DeleteRepositoryPolicy(_Record):
    __slots__ = ("repo",)
    repo: str


class TagRepository(_Record):
    __slots__ = ("repo", "tags")
    repo: str
    tags: tuple[tuple[str, str], ...]


class UntagRepository(_Record):
    __slots__ = ("repo", "keys")
    repo: str
    keys: tuple[str, ...]


class DeleteRepository(_Record):
    """``force``: EmptyOnDelete, delete the images too."""

    __slots__ = ("repo", "force")
    repo: str
    force: bool


class DeleteIfEmpty(_Record):
    """Remove an empty repository that only a failed attempt ever held; keep it if it has images."""

    __slots__ = ("repo",)
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
KEEP = "keep"  # ours and in sync, or only the provider's bookkeeping tags change
DELETE = "delete"
RELEASE = "release"  # adopted repository handed back, with its images
UNREF = "unref"  # another physical id still holds it (legacy reference tags)
DEFER = "defer"  # removed: marked for the Delete of the current id, after the stack update


class RepoChange(_Record):
    """``phase`` 0 runs first; phase 1 only once every phase-0 action succeeded."""

    __slots__ = ("repo", "change", "actions", "phase")
    _defaults = {"actions": (), "phase": 0}
    repo: str
    change: str
    actions: tuple[Action, ...]
    phase: int


class Conflict(_Record):
    """``owner_stack`` None: exists, but no stack owns it."""

    __slots__ = ("repo", "owner_stack", "encryption")
    _defaults = {"encryption": None}
    repo: str
    owner_stack: str | None  # None: exists, but no stack owns it (or, with encryption, ours)
    # Set when the repository's encryption, fixed at creation, is not the declared one:
    # (what it has, what is declared), each as "AES256" or "KMS <key>".
    encryption: tuple[str, str] | None


class PolicyTooLarge(_Record):
    """The provider's statements merged with the foreign ones would pass ECR's policy size limit."""

    __slots__ = ("repo", "length", "foreign_length")
    repo: str
    length: int
    foreign_length: int  # characters of the statements others wrote


class Plan(_Record):
    """``removed``: dropped from the map and held by the current id: left to the Delete of that id."""

    __slots__ = ("physical_id", "changes", "conflicts", "removed", "oversized")
    _defaults = {"changes": (), "conflicts": (), "removed": (), "oversized": ()}
    physical_id: str
    changes: tuple[RepoChange, ...]
    conflicts: tuple[Conflict, ...]
    removed: tuple[str, ...]
    oversized: tuple[PolicyTooLarge, ...]  # like conflicts, they void the plan

    @property
    def actions(self) -> list[Action]:
        return [a for c in sorted(self.changes, key=lambda c: c.phase) for a in c.actions]


# --- helpers on tags -------------------------------------------------------------------------


def _ours(state: RepoState | None, owner: Owner) -> bool:
    return state is not None and state.tags is not None and ownership.classify(state.tags, owner) == ownership.OURS


def latest_ledger(states: dict[str, RepoState | None], owner: Owner) -> tuple[str, Ledger] | None:
    """The newest ledger among our repositories read, with the repository holding it."""
    best: tuple[str, Ledger] | None = None
    for name in sorted(states):
        state = states[name]
        if not _ours(state, owner):
            continue
        assert state is not None and state.tags is not None
        ledger = ownership.ledger_of(state.tags)
        if ledger is not None and (best is None or ledger.count > best[1].count):
            best = (name, ledger)
    return best


def _tag_changes(name: str, actual: dict[str, str], to_tag: dict[str, str], to_untag: set[str]) -> list[Action]:
    """UntagResource before TagResource, so that the count never passes ECR's 50 in between; legacy
    reference tags go too when the new tags would not fit beside them."""
    to_tag = {k: v for k, v in to_tag.items() if actual.get(k) != v}
    to_untag = {k for k in to_untag if k in actual and k not in to_tag}
    after = (set(actual) - to_untag) | set(to_tag)
    if to_tag and len(after) > ownership.MAX_TAGS:
        to_untag |= {k for k in actual if k.startswith(ownership.REF_PREFIX)}
    actions: list[Action] = []
    if to_untag:
        actions.append(UntagRepository(name, tuple(sorted(to_untag))))
    if to_tag:
        actions.append(TagRepository(name, tuple(sorted(to_tag.items()))))
    return actions


def _held_by(state: RepoState, gen: str | None) -> bool:
    """Whether the current generation ``gen`` holds a repository of ours its previous properties name.

    Not held: a repository a failed or rolled-back attempt declared (marked dropped from another
    generation, or, as earlier releases recorded it, without ``gen``'s reference tag)."""
    assert state.tags is not None
    drop = state.tags.get(ownership.DROP)
    if drop and gen and drop.split(":")[0] != gen:
        return False
    legacy = ownership.refs(state.tags)
    return not (legacy and gen and gen not in legacy)


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


def names_to_read_tags(desired: ResourceSpec, old: ResourceSpec | None, existing: set[str]) -> set[str]:
    """Existing repositories dropped from the map: their tags (only) decide what the Update does with
    them (mark for the cleanup, remove at once when only a rolled-back attempt declared them, leave)."""
    if old is None:
        return set()
    return (set(old.repos) - set(desired.repos)) & existing


def needs_ledger(desired: ResourceSpec, old: ResourceSpec | None, states: dict[str, RepoState | None],
                 owner: Owner, old_gen: str | None, undoes: str | None) -> bool:
    """Whether the Update must read every kept repository's tags to find the ledger: when it removes a
    repository the current id holds (it writes the ledger), or when a re-declared repository still
    carries a mark of this generation (a removal was attempted and rolled back: the ledger may name it)."""
    if old is None:
        return False
    for name in set(old.repos) - set(desired.repos):
        state = states.get(name)
        if _ours(state, owner) and _decide_removed(state, old_gen, undoes) == DEFER:  # type: ignore[arg-type]
            return True
    for name in set(desired.repos) - set(old.repos):
        state = states.get(name)
        if _ours(state, owner) and state.tags.get(ownership.DROP, "").split(":")[0] == old_gen:  # type: ignore[union-attr]
            return True
    # A re-declared repository loses its mark: a ledger it kept from before (stale) must go with it
    # unless it is the newest, which only the ledger's holder can tell.
    for name in desired.repos:
        state = states.get(name)
        if _ours(state, owner) and ownership.DROP in state.tags and ownership.LEDGER in state.tags:  # type: ignore[union-attr]
            return True
    return False


def _decide_removed(state: RepoState, old_gen: str | None, undoes: str | None) -> str:
    """DEFER (mark it: the cleanup Delete removes it) or DELETE (remove it now, if empty: only the
    Update this one reverses added it, so this is its rollback or an exact revert)."""
    assert state.tags is not None
    origin = ownership.origin_of(state.tags)
    if undoes and origin.doc == undoes:
        return DELETE
    if not _held_by(state, old_gen):
        return DELETE
    return DEFER


def plan_apply(
    desired: ResourceSpec,
    states: dict[str, RepoState | None],
    owner: Owner,
    request_gen: str,
    *,
    old: ResourceSpec | None = None,
    old_gen: str | None = None,
    transition: str = "",
    undoes: str | None = None,
) -> Plan:
    """Plan a Create (``old`` is None) or an Update to ``desired``.

    The physical id stays (``old_gen``) unless the Update removes a repository the current id holds;
    then it is ``request_gen`` and the removed repositories are marked for the Delete of the current id.
    ``states`` has an entry for every declared name and, on Update, every name dropped from the map.
    ``transition``: this Update's id from its old and new documents (ownership.transition), recorded
    on what it adds; ``undoes``: the id of the Update this one would reverse (a rollback Update sends
    the old document back): what that Update added and this one drops goes at once, if empty.
    """
    removed_names = sorted(set(old.repos) - set(desired.repos)) if old else []
    decisions = {}
    for name in removed_names:
        state = states.get(name)
        if _ours(state, owner):
            assert state is not None
            decisions[name] = _decide_removed(state, old_gen, undoes)
    deferred = [n for n, d in decisions.items() if d == DEFER]
    new_gen = old_gen if (old_gen and not deferred) else request_gen
    found = latest_ledger(states, owner)
    holder = found[0] if found else None
    # A Create starts the ledger on its first repository, in the call that creates or takes it.
    first = desired.names[0] if old is None and desired.names else None

    changes: list[RepoChange] = []
    conflicts: list[Conflict] = []
    oversized: list[PolicyTooLarge] = []
    for name in desired.names:
        want = desired.repos[name]
        state = states.get(name)
        old_repo = old.repos.get(name) if old else None
        added = old is None or name not in old.repos
        if state is None:
            changes.append(_create(want, owner, new_gen, transition, ledger=name == first))
            continue
        if state.tags is None:
            if not _encryption_ok(want, state):
                conflicts.append(_encryption_conflict(want, state))
                continue
            changes.append(_trusted(want, state))
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
        change = _reconcile(want, state, owner, old_repo, old_gen, new_gen, transition,
                           adopt=kind == ownership.UNOWNED, added=added, holder=holder, first=name == first)
        too_large = _oversized(change)
        if too_large:
            oversized.append(too_large)
        changes.append(change)
    for name in removed_names:
        decision = decisions.get(name)
        state = states.get(name)
        if decision == DELETE:
            changes.append(_remove_now(state))  # type: ignore[arg-type]
        elif decision == DEFER:
            changes.append(_defer(state, old_gen or "", new_gen))  # type: ignore[arg-type]
    ledger = _ledger_change(desired, old, states, owner, old_gen, new_gen, deferred)
    if ledger is not None:
        changes = _merge(changes, ledger)
    return Plan(owner.physical_id(new_gen), tuple(changes), tuple(conflicts), tuple(sorted(deferred)),
                tuple(oversized))



def _oversized(change: RepoChange) -> PolicyTooLarge | None:
    for action in change.actions:
        if isinstance(action, SetRepositoryPolicy) and len(action.text) > access.MAX_POLICY_CHARS:
            _, foreign = access.split(action.text)
            return PolicyTooLarge(change.repo, len(action.text), access.chars(foreign))
    return None


def _encryption_ok(want: RepoSpec, state: RepoState) -> bool:
    return encryption_matches(want.encryption, want.kms_key, state.encryption, state.kms_key)


def _encryption_conflict(want: RepoSpec, state: RepoState) -> Conflict:
    """ECR fixes encryption at creation: no write can change it, so the plan is void."""
    return Conflict(want.name, None, (encryption_text(state.encryption, state.kms_key),
                                      encryption_text(want.encryption, want.kms_key)))


def _merge(changes: list[RepoChange], extra: RepoChange) -> list[RepoChange]:
    return [*changes, extra]


def _ledger_change(desired: ResourceSpec, old: ResourceSpec | None, states: dict[str, RepoState | None],
                   owner: Owner, old_gen: str | None, new_gen: str, deferred: list[str]) -> RepoChange | None:
    """The ledger write that ends an Update (phase 1: only once everything else succeeded)."""
    if old is None or not old_gen:
        return None
    found = latest_ledger(states, owner)
    current = found[1] if found else None
    if deferred:
        if current and new_gen in (current.dead, current.retired):
            return None  # a late duplicate of an Update whose id was already rolled back: never revive it
        kept_names = sorted(set(desired.repos) & set(old.repos))
        kept = [n for n in kept_names if _ours(states.get(n), owner)]
        if not kept:
            return None  # every repository is dropped: each Delete then removes all it names
        # The holder: the first kept repository that is ours and unmarked, where readers look first.
        anchor = holder_of(kept_names, states, owner) or (found[0] if found and found[0] in kept else kept[0])
        count = max(current.count + 1 if current else 1, ownership.PLACED)
        if current and current.live == old_gen:
            want = Ledger(count, old_gen, new_gen, current.retired, current.dead)
        else:
            want = Ledger(count, old_gen, new_gen)
        if current and anchor == found[0] and current[1:3] == want[1:3]:
            return None  # a retried delivery: already written
        # not beside a drop mark (0.2.0's choice of anchor can be marked): six tags of ours at most
        marked = ownership.DROP in (states[anchor].tags or {})  # type: ignore[union-attr]
        removed = None if marked else ownership.removed_value(old_gen, new_gen, deferred)
        return _ledger_write(anchor, states[anchor], want, removed)  # type: ignore[arg-type]
    if current is None or found is None or found[0] not in desired.repos:
        return None
    # An Update of old_gen proves CloudFormation holds old_gen: an id pending beside it was rolled
    # back, and one old_gen was pending beside has been committed.
    if current.live == old_gen and current.pending:
        return _ledger_write(found[0], states[found[0]], Ledger(current.count + 1, old_gen, "", current.retired,
                                                                current.pending))  # type: ignore[arg-type]
    if current.pending == old_gen:
        return _ledger_write(found[0], states[found[0]], Ledger(current.count + 1, old_gen, "", current.live,
                                                                current.dead))  # type: ignore[arg-type]
    return None


def _ledger_write(name: str, state: RepoState, ledger: Ledger, removed: str | None = None) -> RepoChange:
    """The ledger on ``name``, with the names an Update removed when they fit (one TagResource)."""
    assert state.tags is not None
    tags = {ownership.LEDGER: ledger.value()}
    if removed:
        tags[ownership.REMOVED] = removed
    actions = _tag_changes(name, state.tags, tags, set())
    return RepoChange(name, KEEP, tuple(actions), phase=1)


def holder_of(names: list[str], states: dict[str, RepoState | None], owner: Owner) -> str | None:
    """The first of ``names`` (in order) that exists, is ours and carries no drop mark: where the
    ledger is kept (``ownership.holder_verdict``). ``None`` if none is, or one before it was not read."""
    for name in names:
        state = states.get(name)
        if state is None:
            continue
        if state.tags is None:
            return None
        if ownership.holder_verdict(state.tags, owner) != ownership.SKIP:
            return name
    return None


def _remove_now(state: RepoState) -> RepoChange:
    """A dropped repository no live physical id holds: remove it if empty (release it if adopted)."""
    assert state.tags is not None
    if ownership.is_adopted(state.tags):
        ours = tuple(sorted(k for k in state.tags if k.startswith(ownership.PREFIX)))
        return RepoChange(state.name, RELEASE, (UntagRepository(state.name, ours),))
    return RepoChange(state.name, DELETE, (DeleteIfEmpty(state.name),))


def _defer(state: RepoState, old_gen: str, new_gen: str) -> RepoChange:
    assert state.tags is not None
    actions = _tag_changes(state.name, state.tags, {ownership.DROP: ownership.drop_value(old_gen, new_gen)},
                           {ownership.REMOVED})
    return RepoChange(state.name, DEFER, tuple(actions))


def _create(want: RepoSpec, owner: Owner, gen: str, doc: str, *, ledger: bool = False) -> RepoChange:
    origin = ownership.origin_value(ownership.CREATED, gen, doc)
    tags = {**want.tag_map, **owner.tags(origin)}
    if ledger:
        tags[ownership.LEDGER] = ownership.first_ledger(gen).value()
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


def _trusted(want: RepoSpec, state: RepoState) -> RepoChange:
    """A repository declared alike before and after: only the cheap drift."""
    actions = _settings(want, state)
    return RepoChange(want.name, UPDATE if actions else KEEP, tuple(actions))


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
    old_repo: RepoSpec | None,
    old_gen: str | None,
    new_gen: str,
    doc: str,
    *,
    adopt: bool,
    added: bool,
    holder: str | None = None,
    first: bool = False,
) -> RepoChange:
    assert state.tags is not None
    actual = state.tags
    settings = _settings(want, state)
    if state.policies_read:
        if lifecycle.canonical(state.lifecycle_policy) != lifecycle.canonical(want.lifecycle_policy):
            settings.append(PutLifecyclePolicy(want.name, want.lifecycle_policy))
        settings.extend(_repository_policy(want, state))

    wanted_tags = dict(want.tag_map)
    if adopt:
        wanted_tags.update(owner.tags(ownership.origin_value(ownership.ADOPTED, new_gen, doc)))
    elif added and not _held_by(state, old_gen):
        # taken back from a dropped or failed attempt: it is this generation's now
        kind = ownership.origin_of(actual).kind
        wanted_tags[ownership.ORIGIN] = ownership.origin_value(kind, new_gen, doc)
    if first and adopt:
        # taken over whole: the ledger starts here. A repository already ours gets none (a retried
        # Create wrote it already; any other may have a ledger elsewhere: readers then read them all).
        wanted_tags[ownership.LEDGER] = ownership.first_ledger(new_gen).value()
    managed_before = set(old_repo.tag_map) if old_repo else set()
    to_untag = {k for k in managed_before - set(want.tag_map) if k in actual}
    if ownership.DROP in actual:
        to_untag.add(ownership.DROP)  # declared: no Delete may act on an earlier mark
        if holder != want.name:
            # unmarked, it could pass for the ledger's holder: a ledger kept from before goes
            to_untag |= {ownership.LEDGER, ownership.REMOVED} - set(wanted_tags)
    if adopt:
        to_untag |= {k for k in actual if k.startswith(ownership.PREFIX) and k not in wanted_tags}
    tag_actions = _tag_changes(want.name, actual, wanted_tags, to_untag)

    actions: list[Action] = [*tag_actions, *settings]
    user_changed = any(
        not k.startswith(ownership.PREFIX)
        for a in tag_actions
        for k in (a.keys if isinstance(a, UntagRepository) else [t[0] for t in a.tags])  # type: ignore[union-attr]
    )
    if adopt:
        change = ADOPT
    elif settings or user_changed:
        change = UPDATE
    else:
        change = KEEP
    return RepoChange(want.name, change, tuple(actions))


# --- Delete ----------------------------------------------------------------------------------

LIVE = "live"  # CloudFormation holds this id and deletes it: remove everything it names
SUPERSEDED = "superseded"  # the cleanup Delete: a successor is live; remove what it marked
CHILD = "child"  # a rolled-back id: remove only what it created or adopted
UNKNOWN = "unknown"  # an id the ledger no longer knows (a very late retry): touch nothing


def _named(gen: str, states: list[RepoState | None], owner: Owner) -> bool:
    """Whether a repository of ours records generation ``gen``: it created or took it (origin), holds
    it (0.1.0's reference tags) or was removed from it (drop mark). Without a ledger, only such an id
    is the resource's live one."""
    for state in states:
        if not _ours(state, owner):
            continue
        tags = state.tags  # type: ignore[union-attr]
        if (ownership.origin_of(tags).gen == gen or gen in ownership.refs(tags)  # type: ignore[arg-type]
                or tags.get(ownership.DROP, "").split(":")[0] == gen):  # type: ignore[union-attr]
            return True
    return False


def delete_role(gen: str, ledger: Ledger | None) -> tuple[str, str]:
    """How the Delete of generation ``gen`` decides, and the other generation involved."""
    if ledger is None:
        return LIVE, ""
    if ledger.live == gen:
        return (SUPERSEDED, ledger.pending) if ledger.pending else (LIVE, "")
    if ledger.retired == gen:
        return SUPERSEDED, ledger.live
    if ledger.pending == gen or ledger.dead == gen:
        return CHILD, ledger.live
    return UNKNOWN, ""


def plan_delete(
    names: list[str],
    states: dict[str, RepoState | None],
    owner: Owner,
    physical_id: str,
    empty_on_delete: dict[str, bool],
) -> Plan:
    """The Delete of ``physical_id``: what it removes depends on its role (``delete_role``): all it
    names (live), what its successor marked (cleanup), what it created (rolled back). Anything not
    ours is left alone. The ledger is updated first (phase 0), the removals follow (phase 1)."""
    gen = ownership.generation_of(physical_id)
    if gen is None:
        return Plan(physical_id)
    found = latest_ledger({n: states.get(n) for n in names}, owner)
    ledger = found[1] if found else None
    role, other = delete_role(gen, ledger)
    if ledger is None and not _named(gen, [states.get(n) for n in names], owner):
        role = UNKNOWN  # an id no record of the registry names: a forged or never-issued generation
    changes: list[RepoChange] = []
    if found is not None and ledger is not None:
        after = None
        if role == SUPERSEDED and ledger.live == gen:
            after = Ledger(ledger.count + 1, ledger.pending, "", gen, ledger.dead)
        elif role == CHILD and ledger.pending == gen:
            after = Ledger(ledger.count + 1, ledger.live, "", ledger.retired, gen)
        if after is not None:
            state = states[found[0]]
            assert state is not None and state.tags is not None
            changes.append(RepoChange(found[0], KEEP, tuple(_tag_changes(found[0], state.tags,
                                                                         {ownership.LEDGER: after.value()}, set()))))
    for name in sorted(names):
        state = states.get(name)
        if not _ours(state, owner):
            continue
        assert state is not None and state.tags is not None
        tags = state.tags
        if role == UNKNOWN:
            continue
        if role == SUPERSEDED:
            if tags.get(ownership.DROP) != ownership.drop_value(gen, other):
                continue
        elif role == CHILD:
            if ownership.origin_of(tags).gen != gen:
                continue
        elif ledger is None and ownership.refs(tags):
            # laid out by an earlier release: its reference tags decide
            legacy = ownership.refs(tags)
            if gen not in legacy:
                continue
            if legacy - {gen}:
                changes.append(RepoChange(name, UNREF, (UntagRepository(name, (ownership.ref_key(gen),)),), phase=1))
                continue
        if ownership.is_adopted(tags):
            ours = tuple(sorted(k for k in tags if k.startswith(ownership.PREFIX)))
            changes.append(RepoChange(name, RELEASE, (UntagRepository(name, ours),), phase=1))
        else:
            changes.append(RepoChange(name, DELETE, (DeleteRepository(name, empty_on_delete.get(name, False)),),
                                      phase=1))
    return Plan(physical_id, tuple(changes))
