"""What a Custom::EcrRepos request carries to the next invocation when its time runs out
(``core.continuation``), and how the next one resumes from it.

Two kinds of state, by how far the request got:

- **reads** (nothing written yet): the registry listing, the by-name lookups and the tags and
  policies read so far. The next invocation serves them from the executor's cache
  (``Executor.preload``) and reads only the rest, then plans as usual: reads throttled for longer
  than one invocation still end.
- **apply** (the plan was made and partly applied): the remaining plan (each repository's actions
  not yet done; a repository whose action was in flight when the timer handed over is *uncertain*),
  the repositories a Delete kept because they hold images, the ARNs known, and the *anchor*. The
  next invocation applies the rest without reading or planning again, so nothing is written twice.

The anchor is how a late duplicate (Lambda delivers an event twice, or a continuation arrives after
the request was answered) learns that the request is over, with no store beside ECR: a repository
of the resource whose state changes when the request ends.

- Create and Update: a repository the request had finished with when it handed over (it exists and
  carries the owner's tag). The invocation that finishes a request of more than one invocation tags
  it ``ecr-repos:answered=<chain>`` before answering.
- Delete: the repository whose removal is held back to the plan's last phase (``hold_back``); when
  the request ends it is gone or released (no owner tag), or kept because it holds images (then
  tagged ``answered`` as above).

A resumed invocation first reads the anchor's tags (one ListTagsForResource): gone, not the owner's,
or marked answered by this chain means the request is over; it writes nothing and answers nothing
(``continuation.Stale``). A Create rolled back by its Delete removes the anchor with the rest, so a
continuation arriving after that recreates nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core.continuation import Stale
from ..core.errors import EcrReposError, OutOfTime
from . import ownership, planner
from .executor import THROTTLING, Executor
from .ownership import Owner
from .planner import CreateRepository, Plan, RepoChange, RepoState, TagRepository

logger = logging.getLogger(__name__)

ANSWERED = ownership.PREFIX + "answered"
VERSION = 1

_RECORDS = {cls.__name__: cls for cls in (
    planner.RepoState, planner.CreateRepository, planner.SetMutability, planner.SetScanOnPush,
    planner.PutLifecyclePolicy, planner.SetRepositoryPolicy, planner.DeleteRepositoryPolicy,
    planner.TagRepository, planner.UntagRepository, planner.DeleteRepository, planner.DeleteIfEmpty,
    planner.RepoChange, planner.Conflict, planner.PolicyTooLarge, planner.Plan)}
MARK = "mark"  # the change that writes the answered mark (for logs: the provider's bookkeeping)
_FINISHED = {planner.CREATE, planner.UPDATE, planner.ADOPT, planner.KEEP}  # the repository stays ours


# --- a JSON codec for the planner's records ----------------------------------------------------


def encode(value: Any) -> Any:
    if isinstance(value, tuple(_RECORDS.values())):
        return {"r": type(value).__name__, "f": {k: encode(getattr(value, k)) for k in value.__slots__}}
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"s": sorted(encode(v) for v in value)}
    if isinstance(value, dict):
        return {"m": {k: encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot carry {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "r" in value:
            return _RECORDS[value["r"]](**{k: decode(v) for k, v in value["f"].items()})
        if "t" in value:
            return tuple(decode(v) for v in value["t"])
        if "s" in value:
            return frozenset(decode(v) for v in value["s"])
        return {k: decode(v) for k, v in value["m"].items()}
    return value


class Carried:
    """What an earlier invocation of the same request left (``load``)."""

    def __init__(self, state: dict[str, Any]):
        self.kind = state.get("kind")
        reads = state.get("reads") or {}
        listed = reads.get("listed")
        self.listed: dict[str, RepoState] | None = decode(listed) if listed is not None else None
        self.found: dict[str, RepoState | None] = decode(reads.get("found") or {"m": {}})
        self.inspected: dict[str, RepoState] = decode(reads.get("inspected") or {"m": {}})
        self.plan: Plan | None = decode(state["plan"]) if state.get("plan") is not None else None
        self.uncertain: list[str] = list(state.get("uncertain") or [])
        self.not_empty: list[str] = list(state.get("not_empty") or [])
        self.arns: dict[str, str] = dict(state.get("arns") or {})
        self.anchor: str | None = state.get("anchor")


def load(state: Any, kind: str) -> Carried | None:
    """The carried state of this request (None: nothing carried, read from the start)."""
    if not isinstance(state, dict) or state.get("v") != VERSION or state.get("kind") != kind:
        return None
    return Carried(state)


def out_of_time(executor: Executor, exc: BaseException) -> bool:
    """Whether ``exc`` means only that the time ran out (possibly while ECR throttled: with a
    deadline, the executor gives up on throttling only when the next try would pass it)."""
    if isinstance(exc, OutOfTime):
        return True
    return executor.deadline is not None and getattr(exc, "code", "") in THROTTLING


# --- what to carry ----------------------------------------------------------------------------


def reads_state(kind: str, executor: Executor) -> dict[str, Any]:
    return {"v": VERSION, "kind": kind, "reads": {
        "listed": encode(executor.listed) if executor.listed is not None else None,
        "found": encode(executor.found),
        "inspected": encode(executor.inspected),
    }}


def apply_state(kind: str, plan: Plan, executor: Executor, anchor: str | None,
                not_empty_before: list[str]) -> dict[str, Any]:
    """The rest of ``plan`` after what ``executor`` applied (safe to call from the timer's thread)."""
    with executor.lock:
        progress = dict(executor.progress)
        in_flight = set(executor.in_flight)
        not_empty = list(executor.not_empty)
    changes: list[RepoChange] = []
    uncertain: list[str] = []
    for index, change in enumerate(plan.changes):
        done = progress.get(index, 0)
        if done >= len(change.actions):
            continue
        if index in in_flight:
            uncertain.append(change.repo)
        changes.append(change.replace(actions=change.actions[done:]))
    rest = plan.replace(changes=tuple(changes))
    names = {c.repo for c in changes} | ({anchor} if anchor else set())
    return {"v": VERSION, "kind": kind, "plan": encode(rest), "uncertain": sorted(uncertain),
            "not_empty": sorted(set(not_empty_before) | set(not_empty)), "anchor": anchor,
            "arns": {n: a for n, a in executor.arns.items() if n in names}}


def anchor_first(plan: Plan) -> tuple[Plan, str | None]:
    """A Create's or Update's plan with its anchor's change (the first repository the request
    leaves in place) moved to a first phase of its own: once anything else is written, the anchor is."""
    kept = [c for c in plan.changes if c.change in _FINISHED]
    if not kept:
        return plan, None
    anchor = min(kept, key=lambda c: c.repo)
    if not anchor.actions:
        return plan, anchor.repo
    first = min(c.phase for c in plan.changes) - 1
    changes = tuple(c.replace(phase=first) if c is anchor else c for c in plan.changes)
    return plan.replace(changes=changes), anchor.repo


def hold_back(plan: Plan) -> tuple[Plan, str | None]:
    """A Delete's plan with one removal moved to a last phase of its own: its anchor."""
    acting = [c for c in plan.changes if c.actions and c.change in (planner.DELETE, planner.RELEASE)]
    if len(acting) < 2:
        return plan, None
    anchor = max(acting, key=lambda c: c.repo)
    last = max(c.phase for c in plan.changes) + 1
    changes = tuple(c.replace(phase=last) if c is anchor else c for c in plan.changes)
    return plan.replace(changes=changes), anchor.repo


# --- resuming ---------------------------------------------------------------------------------


def _arn(executor: Executor, request: Any, name: str) -> str:
    return executor.arns.get(name) or (
        f"arn:{request.partition}:ecr:{request.region}:{request.account}:repository/{name}")


def check_current(executor: Executor, request: Any, owner: Owner, plan: Plan, anchor: str | None, chain: str) -> None:
    """Raise ``Stale`` when the anchor says the request is over (see the module's docstring). The
    anchor may be missing only while ``plan`` still has to create it."""
    if anchor is None:
        return
    creates = any(c.repo == anchor and c.actions and isinstance(c.actions[0], CreateRepository) for c in plan.changes)
    arn = _arn(executor, request, anchor)
    try:
        tags = executor._call(anchor, "ListTagsForResource", executor.client.list_tags_for_resource,
                              resourceArn=arn, translate=False)
    except EcrReposError:
        raise
    except Exception as exc:  # noqa: BLE001 - sorted by error code below
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
        if code == "RepositoryNotFoundException":
            if creates:
                return
            raise Stale(f"anchor {anchor!r} is gone: the request was answered and rolled back") from exc
        raise
    tag_map = {t["Key"]: t["Value"] for t in tags.get("tags", [])}
    if tag_map.get(ownership.OWNER) != owner.token or creates:
        raise Stale(f"anchor {anchor!r} is not this request's to make: the request is over")
    if tag_map.get(ANSWERED) == chain:
        raise Stale(f"anchor {anchor!r} says chain {chain} was answered")


def settle_uncertain(executor: Executor, plan: Plan, uncertain: list[str]) -> Plan:
    """A creation that was in flight when the last invocation handed over may have happened: look
    (one DescribeRepositories by name) and drop it if it did."""
    creating = [c.repo for c in plan.changes
                if c.repo in uncertain and c.actions and isinstance(c.actions[0], CreateRepository)]
    if not creating:
        return plan
    exists = executor.find(creating)
    executor.arns.update({n: s.arn for n, s in exists.items() if s.arn})
    changes = tuple(c.replace(actions=c.actions[1:]) if c.repo in exists and c.repo in creating else c
                    for c in plan.changes)
    return plan.replace(changes=changes)


def with_mark(plan: Plan, anchor: str | None, chain: str) -> Plan:
    """``plan`` ending with the anchor's ``answered`` mark (a last phase of its own), once."""
    if anchor is None:
        return plan
    mark = TagRepository(anchor, ((ANSWERED, chain),))
    if any(mark in c.actions for c in plan.changes):
        return plan
    last = max((c.phase for c in plan.changes), default=0) + 1
    return plan.replace(changes=(*plan.changes, RepoChange(anchor, MARK, (mark,), phase=last)))


def only_the_mark_failed(plan: Plan, executor: Executor, exc: BaseException) -> bool:
    """Whether everything but the ``answered`` mark was applied (it failed alone, in its last phase)."""
    with executor.lock:
        progress = dict(executor.progress)
    return all(progress.get(i, 0) >= len(c.actions) for i, c in enumerate(plan.changes) if c.change != MARK) \
        and getattr(exc, "operation", "") == "TagResource"


def mark_answered(executor: Executor, request: Any, anchor: str | None, chain: str) -> None:
    """Tag the anchor: this chain is answered (before the answer goes out). Best effort: without
    the mark a late duplicate is still bounded by ServiceTimeout (docs/safety.md)."""
    if anchor is None:
        return
    executor.arns.setdefault(anchor, _arn(executor, request, anchor))
    try:
        executor.apply(with_mark(Plan(""), anchor, chain))
    except EcrReposError as exc:
        logger.warning("could not mark %r answered: %s", anchor, exc)
