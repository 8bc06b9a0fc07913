"""Read what a Create or Update needs and plan it: the sequence the Lambda's Create/Update runs
and ``ecr-repos plan`` replays with the deployed properties. Reads only; applying is the caller's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .executor import Executor
from .ownership import Owner
from .planner import Plan, RepoState, names_to_inspect, names_to_read_tags, needs_ledger, plan_apply
from .spec import ResourceSpec


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
    executor.remember_arns({n: s for n, s in existing.items() if n in names})
    states: dict[str, Any] = {n: existing.get(n) for n in names}
    present = set(existing) & names
    complete = names_to_inspect(desired, old, present, full=full)
    states.update(executor.inspect(existing, complete, on_read=on_read))
    states.update(executor.inspect(existing, names_to_read_tags(desired, old, present) - complete,
                                   policies=False, on_read=on_read))
    if old is not None and owner is not None and needs_ledger(desired, old, states, owner, old_gen, undoes):
        kept = {n for n in set(desired.repos) & set(old.repos) & present if states[n].tags is None}
        states.update(executor.inspect(existing, kept, policies=False, on_read=on_read))
    return states
