"""Read what a Create or Update needs and plan it: the sequence the Lambda's Create/Update runs
and ``ecr-repos plan`` replays with the deployed properties. Reads only; applying is the caller's."""

from __future__ import annotations

from typing import Any

from .executor import Executor
from .ownership import Owner
from .planner import Plan, RepoState, names_to_check_refs, names_to_inspect, plan_apply
from .spec import ResourceSpec


def read_and_plan(
    executor: Executor,
    desired: ResourceSpec,
    old: ResourceSpec | None,
    owner: Owner,
    request_gen: str,
    old_gen: str | None,
) -> tuple[Plan, dict[str, RepoState | None]]:
    """The plan of a Create (``old`` is None) or an Update, and the states it was made from: an
    entry for every declared and every dropped name (``None``: the repository does not exist)."""
    names = set(desired.repos) | (set(old.repos) if old else set())
    # The same set as before should all exist: look it up by name. New names: page the registry.
    same_set = old is not None and set(old.repos) == set(desired.repos)
    existing = executor.find(names) if same_set else executor.list_repositories()
    executor.remember_arns(existing)
    states: dict[str, Any] = {n: existing.get(n) for n in names}
    full = names_to_inspect(desired, old, set(existing))
    states.update(executor.inspect(existing, full))
    states.update(executor.inspect(existing, names_to_check_refs(desired, old, set(existing)) - full, policies=False))
    return plan_apply(desired, states, owner, request_gen, old=old, old_gen=old_gen), states
