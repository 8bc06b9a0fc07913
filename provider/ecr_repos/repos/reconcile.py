"""Read what a request needs and plan it: the sequence the Lambda's Create/Update runs and
``ecr-repos plan`` replays with the deployed properties, and the reads of a Delete. Reads only;
applying is the caller's.

Reads go by name. The ledger is found on its holder, the first repository of the properties in name
order that exists, is ours and carries no drop mark (``ownership.holder_verdict``): the first few
names are read, not every repository. Only when that repository holds no ledger this release placed
(a registry laid out by 0.2.0, a repository added before the holder) is every repository read, as
0.2.0 did. A cleanup Delete reads the removed repositories the holder names (``ecr-repos:removed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import ownership
from .executor import Executor
from .ownership import Owner
from .planner import (
    SUPERSEDED,
    UNKNOWN,
    Plan,
    delete_role,
    latest_ledger,
    names_to_inspect,
    names_to_read_tags,
    needs_ledger,
    plan_apply,
)
from .spec import ResourceSpec
from .state import RepoState

# How many repositories a look for the ledger's holder reads before it gives up and reads them all:
# those before the holder are the ones marked dropped (removed by the pending Update) or not ours.
HOLDER_READS = 8


def read_and_plan(
    executor: Executor,
    desired: ResourceSpec,
    old: ResourceSpec | None,
    owner: Owner,
    request_gen: str,
    old_gen: str | None,
    *,
    full: bool = False,
    transition: str = "",
    undoes: str | None = None,
) -> tuple[Plan, dict[str, RepoState | None]]:
    """The plan of a Create (``old`` is None) or an Update, and the states it was made from: an
    entry for every declared and every dropped name (``None``: the repository does not exist).
    ``full``: read every declared repository completely (a repair, ``planner.names_to_inspect``)."""
    states = read_states(executor, desired, old, full=full, owner=owner, old_gen=old_gen, undoes=undoes)
    plan = plan_apply(desired, states, owner, request_gen, old=old, old_gen=old_gen, transition=transition,
                      undoes=undoes)
    return plan, states


def read_states(
    executor: Executor,
    desired: ResourceSpec,
    old: ResourceSpec | None,
    *,
    full: bool = False,
    on_read: Callable[[str], None] | None = None,
    owner: Owner | None = None,
    old_gen: str | None = None,
    undoes: str | None = None,
) -> dict[str, RepoState | None]:
    """The states ``plan_apply`` needs for this Create or Update; ``on_read`` is called after each
    repository's tags and policies are read (progress).

    Reads: the registry (by name for the same set, else its pages); every new or changed
    repository's tags and policies (every declared one when ``full``); the tags of every dropped
    one; and only when the Update removes a repository the current id holds (or meets the mark of a
    rolled-back removal), the tags of every kept one, to find the ledger wherever an earlier removal
    put it."""
    names = set(desired.repos) | (set(old.repos) if old else set())
    # The same set as before should all exist: look it up by name. New names: page the registry.
    same_set = old is not None and set(old.repos) == set(desired.repos)
    existing = executor.find(names) if same_set else executor.list_repositories()
    states: dict[str, Any] = {n: existing.get(n) for n in names}
    present = set(existing) & names
    complete = names_to_inspect(desired, old, present, full=full)
    states.update(executor.inspect(existing, complete, on_read=on_read))
    states.update(executor.inspect(existing, names_to_read_tags(desired, old, present) - complete,
                                   policies=False, on_read=on_read))
    if old is not None and owner is not None and needs_ledger(desired, old, states, owner, old_gen, undoes):
        kept = set(desired.repos) & set(old.repos) & present
        if not find_holder(executor, existing, states, set(old.repos) & present, owner, kept=kept, on_read=on_read):
            states.update(executor.inspect(existing, {n for n in kept if states[n].tags is None}, policies=False,
                                           on_read=on_read))
    return states


def find_holder(
    executor: Executor,
    existing: dict[str, RepoState],
    states: dict[str, Any],
    names: Iterable[str],
    owner: Owner,
    *,
    kept: set[str] | None = None,
    on_read: Callable[[str], None] | None = None,
) -> bool:
    """Read tags (into ``states``) in name order until the ledger's holder among ``names``, and with
    ``kept`` also the first candidate among those (where a removing Update puts the ledger). True when
    the holder holds a ledger this release placed: it is then the resource's ledger, and the repositories
    not read need not be (for it). False: read them all."""
    holder_found = False
    reads = 0
    for name in sorted(names):
        state = states.get(name)
        if state is None:
            continue
        if state.tags is None:
            if reads >= HOLDER_READS:
                return False
            states.update(executor.inspect(existing, [name], policies=False, on_read=on_read))
            reads += 1
            state = states[name]
        verdict = ownership.holder_verdict(state.tags, owner)
        if verdict == ownership.SKIP:
            continue
        if not holder_found:
            if verdict != ownership.HOLDER or not ownership.is_placed(ownership.ledger_of(state.tags)):
                return False
            holder_found = True
        if kept is None or name in kept:
            return True
    return False


def read_for_delete(executor: Executor, names: list[str], owner: Owner, gen: str) -> dict[str, RepoState | None]:
    """The states ``planner.plan_delete`` needs for the Delete of generation ``gen``: the ledger's holder
    (by name) and what the ledger's role for ``gen`` asks for: nothing more for an id the ledger does
    not know, the repositories the holder lists as removed for a cleanup, every one otherwise (the
    stack's Delete, a rollback, or no ledger found: ownership, marks and origins decide)."""
    existing = executor.find(names)
    states: dict[str, Any] = {n: existing.get(n) for n in names}
    present = [n for n in names if n in existing]
    if find_holder(executor, existing, states, present, owner):
        found = latest_ledger(states, owner)
        assert found is not None
        role, other = delete_role(gen, found[1])
        if role == UNKNOWN:
            return states
        listed = ownership.removed_of(states[found[0]].tags, gen, other) if role == SUPERSEDED else None
        if listed is not None:
            wanted = set(listed) & set(present)
            states.update(executor.inspect(existing, {n for n in wanted if states[n].tags is None}, policies=False))
            return states
    states.update(executor.inspect(existing, [n for n in present if states[n].tags is None], policies=False))
    return states
