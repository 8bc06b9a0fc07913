"""Unit tests of ecr_repos.repos.planner: desired vs actual -> actions, no AWS at all."""

from __future__ import annotations

import json

import pytest

from ecr_repos.repos import ownership, planner, spec
from ecr_repos.repos.ownership import Owner
from ecr_repos.repos.planner import (
    Conflict,
    CreateRepository,
    DeleteIfEmpty,
    DeleteRepository,
    DeleteRepositoryPolicy,
    PutLifecyclePolicy,
    SetMutability,
    SetRepositoryPolicy,
    SetScanOnPush,
    TagRepository,
    UntagRepository,
)
from ecr_repos.repos.state import RepoState

OWNER = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/web/uuid", "Repos")
OTHER = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/other/uuid", "Repos")
G1, G2 = "a" * 12, "b" * 12


def desired(repos, **top):
    return spec.parse({"ServiceToken": "t", "EcrRepositories": repos, **top})


def state(name, repo=None, *, tags=None, immutable=True, scan=True, inspected=True, lifecycle_text=None, policy=None,
          policies=True):
    repo = repo or spec.parse({"ServiceToken": "t", "EcrRepositories": {name: {}}}).repos[name]
    if not inspected:
        return RepoState(name, immutable, scan, f"arn:{name}")
    if not policies:
        return RepoState(name, immutable, scan, f"arn:{name}", dict(tags or {}))
    return RepoState(name, immutable, scan, f"arn:{name}", dict(tags or {}),
                     repo.lifecycle_policy if lifecycle_text is None else lifecycle_text, policy, policies_read=True)


def ours(*gens, origin="created", extra=None, born=None, legacy=True):
    """Tags of a repository of ours; ``gens``: legacy reference tags (earlier releases' layout)."""
    value = origin if born is None else ownership.origin_value(origin, *born)
    tags = {**OWNER.tags(value), **({ownership.ref_key(g): "1" for g in gens} if legacy else {})}
    tags.update(extra or {})
    return tags


def test_create_new_repository_is_three_writes_at_most():
    want = desired({"app/api": {"AdditionalPullAccountIds": ["111111111111"], "Tags": {"team": "a"}}, "app/web": {}})
    plan = planner.plan_apply(want, {"app/api": None, "app/web": None}, OWNER, G1)
    assert plan.physical_id == OWNER.physical_id(G1)
    api, web = plan.changes
    assert [type(a) for a in api.actions] == [CreateRepository, PutLifecyclePolicy, SetRepositoryPolicy]
    assert [type(a) for a in web.actions] == [CreateRepository, PutLifecyclePolicy]
    create = api.actions[0]
    # the first repository (name order) starts the ledger, in its CreateRepository call
    assert dict(create.tags) == {**OWNER.tags(ownership.origin_value("created", G1, "")), "team": "a",
                                 ownership.LEDGER: f"{ownership.PLACED}:{G1}:::"}
    assert ownership.LEDGER not in dict(web.actions[0].tags)
    assert (create.immutable, create.scan_on_push) == (True, True)


def test_repeat_create_is_a_no_op():
    want = desired({"app/api": {}})
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags=ours(G1))}, OWNER, G1)
    assert plan.actions == [] and [(c.repo, c.change) for c in plan.changes] == [("app/api", planner.KEEP)]


@pytest.mark.parametrize(
    "kw,expected",
    [
        ({"immutable": False}, [SetMutability("app/api", True)]),
        ({"scan": False}, [SetScanOnPush("app/api", True)]),
        ({"policy": '{"Version":"2012-10-17","Statement":[]}'}, [DeleteRepositoryPolicy("app/api")]),
    ],
)
def test_drift_is_corrected(kw, expected):
    want = desired({"app/api": {}})
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags=ours(G1), **kw)}, OWNER, G1)
    assert plan.actions == expected


def test_changed_lifecycle_and_policy():
    want = desired({"app/api": {"ExpireAllImages": "true", "AdditionalPushAccountIds": ["111111111111"]}})
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags=ours(G1), lifecycle_text='{"rules":[]}')},
                              OWNER, G1)
    repo = want.repos["app/api"]
    assert plan.actions == [PutLifecyclePolicy("app/api", repo.lifecycle_policy),
                            SetRepositoryPolicy("app/api", repo.repository_policy)]


@pytest.mark.parametrize(
    "tags,adopt,conflict",
    [
        ({}, False, Conflict("app/api", None)),
        ({"team": "x"}, False, Conflict("app/api", None)),
        (OTHER.tags("created"), False, Conflict("app/api", "other")),
        (OTHER.tags("created"), True, Conflict("app/api", "other")),
    ],
)
def test_conflicts(tags, adopt, conflict):
    want = desired({"app/api": {}, "app/new": {}}, AdoptExisting=str(adopt).lower())
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags=tags), "app/new": None}, OWNER, G1)
    assert plan.conflicts == (conflict,)


def test_adopt_tags_first_then_settings_and_keeps_foreign_tags():
    want = desired({"app/api": {"IsImmutable": "true"}}, AdoptExisting="true")
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags={"team": "x"}, immutable=False,
                                                      lifecycle_text="")}, OWNER, G1)
    (change,) = plan.changes
    assert change.change == planner.ADOPT
    tag, *rest = change.actions
    assert isinstance(tag, TagRepository)
    assert dict(tag.tags) == {**OWNER.tags(ownership.origin_value("adopted", G1, "")),
                              ownership.LEDGER: f"{ownership.PLACED}:{G1}:::"}
    assert [type(a) for a in rest] == [SetMutability, PutLifecyclePolicy]


def test_update_tags_removes_only_what_was_managed_before():
    old = desired({"app/api": {"Tags": {"a": "1", "b": "2"}}})
    new = desired({"app/api": {"Tags": {"a": "9"}}})
    st = state("app/api", tags=ours(G1, extra={"a": "1", "b": "2", "manual": "z"}))
    plan = planner.plan_apply(new, {"app/api": st}, OWNER, G1, old=old, old_gen=G1)
    # untag first: the count never passes ECR's 50 in between
    assert plan.actions == [UntagRepository("app/api", ("b",)), TagRepository("app/api", (("a", "9"),))]
    assert [(c.repo, c.change) for c in plan.changes] == [("app/api", planner.UPDATE)]


def test_addition_keeps_the_id_and_writes_only_the_new_repository():
    old = desired({"app/api": {}})
    new = desired({"app/api": {}, "app/new": {}})
    states = {"app/api": state("app/api", inspected=False), "app/new": None}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1, transition="t" * 12)
    assert plan.physical_id == OWNER.physical_id(G1)
    assert [c.repo for c in plan.changes if c.actions] == ["app/new"]
    create = plan.changes[1].actions[0]
    assert dict(create.tags)[ownership.ORIGIN] == ownership.origin_value("created", G1, "t" * 12)


def test_trusted_repository_is_not_inspected():
    old = desired({"app/api": {}, "app/old": {}})
    new = desired({"app/api": {}})
    assert planner.names_to_inspect(new, old, {"app/api", "app/old"}) == set()


def test_unchanged_update_writes_nothing():
    old = desired({"app/api": {}})
    plan = planner.plan_apply(old, {"app/api": state("app/api", inspected=False)}, OWNER, G1, old=old, old_gen=G1)
    assert plan.actions == []


def test_names_to_inspect():
    old = desired({"a1": {}, "b1": {}, "c1": {}})
    new = desired({"a1": {}, "b1": {"IsImmutable": "false"}, "d1": {}, "e1": {}})
    assert planner.names_to_inspect(new, old, {"a1", "b1", "c1", "d1"}) == {"b1", "d1"}
    assert planner.names_to_inspect(new, None, {"a1", "b1", "d1"}) == {"a1", "b1", "d1"}
    # A repair (ReconcileToken changed) reads every declared repository that exists.
    assert planner.names_to_inspect(new, old, {"a1", "b1", "c1", "d1"}, full=True) == {"a1", "b1", "d1"}


@pytest.mark.parametrize(
    "tags,empty,change,actions",
    [
        (ours(G1), False, planner.DELETE, (DeleteRepository("app/api", False),)),
        (ours(G1), True, planner.DELETE, (DeleteRepository("app/api", True),)),
        (ours(G1, G2), False, planner.UNREF, (UntagRepository("app/api", (ownership.ref_key(G1),)),)),
        (ours(G1, origin="adopted", extra={"team": "x"}), True, planner.RELEASE,
         (UntagRepository("app/api", tuple(sorted(ours(G1, origin="adopted")))),)),
    ],
)
def test_delete(tags, empty, change, actions):
    plan = planner.plan_delete(["app/api"], {"app/api": state("app/api", tags=tags)}, OWNER,
                               OWNER.physical_id(G1), {"app/api": empty})
    assert [(c.change, c.actions) for c in plan.changes] == [(change, actions)]


@pytest.mark.parametrize(
    "tags,physical_id",
    [
        ({}, OWNER.physical_id(G1)),  # unowned
        (OTHER.tags("created") | {ownership.ref_key(G1): "1"}, OWNER.physical_id(G1)),  # another stack's
        (ours(G2), OWNER.physical_id(G1)),  # not held by this id
        (ours(G1), "web_Repos_ABCDEFGH"),  # a physical id that is not ours
    ],
)
def test_delete_never_touches_what_it_does_not_hold(tags, physical_id):
    plan = planner.plan_delete(["app/api"], {"app/api": state("app/api", tags=tags)}, OWNER, physical_id,
                               {"app/api": True})
    assert plan.actions == []


def test_delete_of_missing_repository_is_nothing():
    assert planner.plan_delete(["app/api"], {"app/api": None}, OWNER, OWNER.physical_id(G1), {}).actions == []


def test_names_to_read_tags_are_the_dropped_ones():
    old = desired({"a1": {}, "b1": {}})
    assert planner.names_to_read_tags(desired({"a1": {}, "b1": {"IsImmutable": "false"}}), old, {"a1", "b1"}) == set()
    assert planner.names_to_read_tags(desired({"a1": {}, "c1": {}}), old, {"a1", "b1", "c1"}) == {"b1"}
    assert planner.names_to_read_tags(desired({"a1": {}}), None, {"a1"}) == set()


def test_removal_takes_a_new_generation_marks_the_removed_and_writes_the_ledger_last():
    old = desired({"a1": {}, "b1": {}})
    new = desired({"a1": {}})
    states = {"a1": state("a1", tags=ours(born=(G1, "")), policies=False),
              "b1": state("b1", tags=ours(born=(G1, "")), policies=False)}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1)
    assert plan.physical_id == OWNER.physical_id(G2) and plan.removed == ("b1",)
    # the ledger counts from PLACED (a holder-placed ledger) and names what its cleanup removes
    assert plan.actions == [TagRepository("b1", ((ownership.DROP, f"{G1}:{G2}"),)),
                            TagRepository("a1", ((ownership.LEDGER, f"{ownership.PLACED}:{G1}:{G2}::"),
                                                 (ownership.REMOVED, f"{G1}:{G2}:b1")))]
    assert [c.phase for c in plan.changes if c.actions] == [0, 1]


def test_rollback_update_removes_what_the_failed_update_added_and_keeps_the_id():
    """{a1} at G1; an in-place update to {a1, x1} (transition T) created x1 and failed. CloudFormation's
    rollback Update sends {a1} back: its reverse transition is T."""
    t = "e" * 12
    states = {"a1": state("a1", inspected=False),
              "x1": state("x1", tags=ours(born=(G1, t)), policies=False)}
    plan = planner.plan_apply(desired({"a1": {}}), states, OWNER, G2, old=desired({"a1": {}, "x1": {}}),
                              old_gen=G1, undoes=t)
    assert plan.physical_id == OWNER.physical_id(G1)
    assert plan.actions == [DeleteIfEmpty("x1")]


def test_orphan_that_was_adopted_is_released_not_deleted():
    t = "e" * 12
    states = {"a1": state("a1", tags=ours(born=(G1, "")), policies=False),
              "x1": state("x1", tags=ours(origin="adopted", born=(G1, t), extra={"team": "x"}), policies=False)}
    plan = planner.plan_apply(desired({"a1": {}}), states, OWNER, G2, old=desired({"a1": {}, "x1": {}}), old_gen=G1,
                              undoes=t)
    assert plan.physical_id == OWNER.physical_id(G1)
    assert plan.actions == [UntagRepository("x1", tuple(sorted(ours(origin="adopted", born=(G1, t)))))]


def test_dropped_repository_of_another_stack_is_never_touched():
    states = {"a1": state("a1", tags=ours(born=(G1, "")), policies=False),
              "x1": state("x1", tags=OTHER.tags("created"), policies=False)}
    plan = planner.plan_apply(desired({"a1": {}}), states, OWNER, G2, old=desired({"a1": {}, "x1": {}}), old_gen=G1)
    assert plan.actions == [] and plan.physical_id == OWNER.physical_id(G1)


@pytest.mark.parametrize(
    "ledger,gen,role",
    [
        (None, G1, planner.LIVE),
        (ownership.Ledger(1, G1, G2), G1, planner.SUPERSEDED),  # the cleanup Delete
        (ownership.Ledger(1, G1, G2), G2, planner.CHILD),  # the rollback Delete
        (ownership.Ledger(2, G2, "", G1), G1, planner.SUPERSEDED),  # a retried cleanup
        (ownership.Ledger(2, G2, "", G1), G2, planner.LIVE),  # the stack's Delete after the cleanup
        (ownership.Ledger(2, G1, "", "", G2), G2, planner.CHILD),  # a retried rollback
        (ownership.Ledger(2, G1, "", "", G2), G1, planner.LIVE),  # the stack's Delete after the rollback
        (ownership.Ledger(2, G1, "", "", G2), "c" * 12, planner.UNKNOWN),
    ],
)
def test_delete_role(ledger, gen, role):
    assert planner.delete_role(gen, ledger)[0] == role


def test_cleanup_delete_removes_only_what_the_live_successor_marked():
    stale = "d" * 12
    states = {
        "a1": state("a1", tags=ours(born=(G1, ""), extra={ownership.LEDGER: f"3:{G1}:{G2}::{stale}"}), policies=False),
        "b1": state("b1", tags=ours(born=(G1, ""), extra={ownership.DROP: f"{G1}:{G2}"}), policies=False),
        "c1": state("c1", tags=ours(born=(G1, ""), extra={ownership.DROP: f"{G1}:{stale}"}), policies=False),
    }
    plan = planner.plan_delete(["a1", "b1", "c1"], states, OWNER, OWNER.physical_id(G1), {"b1": True})
    assert plan.actions == [TagRepository("a1", ((ownership.LEDGER, f"4:{G2}::{G1}:{stale}"),)),
                            DeleteRepository("b1", True)]


def test_rollback_delete_removes_only_what_the_rolled_back_id_created():
    states = {
        "a1": state("a1", tags=ours(born=(G1, ""), extra={ownership.LEDGER: f"1:{G1}:{G2}::"}), policies=False),
        "n1": state("n1", tags=ours(born=(G2, "")), policies=False),
    }
    plan = planner.plan_delete(["a1", "n1"], states, OWNER, OWNER.physical_id(G2), {})
    assert plan.actions == [TagRepository("a1", ((ownership.LEDGER, f"2:{G1}:::{G2}"),)), DeleteRepository("n1", False)]


def test_tags_only_state_skips_policy_comparison():
    old = desired({"a1": {}, "b1": {}})
    new = desired({"a1": {}})
    states = {"a1": state("a1", tags=ours(G1), policies=False, immutable=False), "b1": None}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1)
    assert plan.actions == [SetMutability("a1", True)]


# --- tag exclusions and encryption (issue 12) -------------------------------------------------------


def test_exclusions_compare_as_sets_and_a_change_is_one_set_mutability():
    want = desired({"a1": {"MutableTagPatterns": ["b*", "a*"]}})
    same = RepoState("a1", True, True, "arn:a1", tag_exclusions=frozenset({"a*", "b*"}))
    assert planner.plan_apply(want, {"a1": same}, OWNER, G1, old=want, old_gen=G1).actions == []
    other = RepoState("a1", True, True, "arn:a1", tag_exclusions=frozenset({"a*"}))
    plan = planner.plan_apply(want, {"a1": other}, OWNER, G1, old=want, old_gen=G1)
    assert plan.actions == [SetMutability("a1", True, ("a*", "b*"))]


def test_create_carries_exclusions_and_encryption():
    want = desired({"a1": {"IsImmutable": False, "ImmutableTagPatterns": ["v*"], "Encryption": "KMS",
                           "KmsKey": "alias/k"}})
    create = planner.plan_apply(want, {"a1": None}, OWNER, G1).actions[0]
    assert (create.immutable, create.tag_exclusions, create.encryption, create.kms_key) == (
        False, ("v*",), "KMS", "alias/k")


@pytest.mark.parametrize("inspected", [True, False])
def test_other_encryption_is_a_conflict_and_the_plan_writes_nothing(inspected):
    want = desired({"a1": {"Encryption": "KMS"}, "b1": {}})
    a1 = RepoState("a1", True, True, "arn:a1", ours(G1) if inspected else None, encryption="AES256")
    b1 = RepoState("b1", True, False, "arn:b1", ours(G1) if inspected else None)
    plan = planner.plan_apply(want, {"a1": a1, "b1": b1}, OWNER, G1, old=want, old_gen=G1)
    assert plan.conflicts == (Conflict("a1", None, ("AES256", "KMS")),)


# --- issue 11: the provider's statements merged with everyone else's ---------------------------------

LAMBDA = {"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
          "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          "Condition": {"StringLike": {"aws:sourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}}}


def _policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _our_statements(repo):
    return json.loads(repo.repository_policy)["Statement"] if repo.repository_policy else []


ACCOUNT_A = {"AdditionalPullAccountIds": ["111111111111"]}
ACCOUNT_B = {"AdditionalPullAccountIds": ["222222222222"]}


@pytest.mark.parametrize("declared, current, expected", [
    # in sync, our statement after Lambda's or before it: nothing to write
    (ACCOUNT_A, "lambda+a", []),
    (ACCOUNT_A, "a+lambda", []),
    # a new grant: Lambda's first, ours after
    (ACCOUNT_B, "a+lambda", [("set", ["lambda", "b"])]),
    # no grant: only Lambda's is left
    ({}, "a+lambda", [("set", ["lambda"])]),
    ({}, "lambda", []),
    # nothing foreign: the policy goes
    ({}, "a", [("delete", None)]),
    (ACCOUNT_A, None, [("set", ["a"])]),
])
def test_repository_policy_keeps_foreign_statements(declared, current, expected):
    want = desired({"app/api": declared})
    statements = {"lambda": LAMBDA,
                  **{k: _our_statements(desired({"app/api": v}).repos["app/api"])[0]
                     for k, v in (("a", ACCOUNT_A), ("b", ACCOUNT_B))}}
    text = _policy(*(statements[k] for k in current.split("+"))) if current else None
    repo = want.repos["app/api"]
    plan = planner.plan_apply(want, {"app/api": state("app/api", repo, tags=ours(G1), policy=text)}, OWNER, G1,
                              old=want, old_gen=G1)
    got = []
    for action in plan.actions:
        if isinstance(action, SetRepositoryPolicy):
            names = [next(k for k, s in statements.items() if s == st) for st in json.loads(action.text)["Statement"]]
            got.append(("set", names))
        elif isinstance(action, DeleteRepositoryPolicy):
            got.append(("delete", None))
    assert got == expected
    assert plan.oversized == ()


def test_unreadable_current_policy_is_left_alone():
    want = desired({"app/api": ACCOUNT_A})
    plan = planner.plan_apply(want, {"app/api": state("app/api", want.repos["app/api"], tags=ours(G1),
                                                      policy="not json")}, OWNER, G1, old=want, old_gen=G1)
    assert not [a for a in plan.actions if isinstance(a, (SetRepositoryPolicy, DeleteRepositoryPolicy))]


def test_merged_policy_over_the_limit_is_reported_not_planned_away():
    big = {"Sid": "Big", "Effect": "Allow", "Action": "ecr:BatchGetImage",
           "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:root" for i in range(320)]}}
    want = desired({"app/api": ACCOUNT_A})
    plan = planner.plan_apply(want, {"app/api": state("app/api", want.repos["app/api"], tags=ours(G1),
                                                      policy=_policy(big))}, OWNER, G1, old=want, old_gen=G1)
    (too_large,) = plan.oversized
    assert too_large.repo == "app/api" and too_large.length > 10240
    assert 0 < too_large.foreign_length < too_large.length


def test_spec_refuses_grants_that_alone_pass_the_limit():
    accounts = [f"{300000000000 + i}" for i in range(400)]
    with pytest.raises(Exception, match=r"EcrRepositories\.app/api: grants make a repository policy of \d+ characters"):
        desired({"app/api": {"AdditionalPullAccountIds": accounts}})


def test_tag_changes_strip_legacy_references_when_the_quota_needs_room():
    user = {f"u{i:02d}": "v" for i in range(44)}
    actual = {**ours("f" * 12, G1, extra=user)}  # 4 own + 2 legacy refs + 44 user = 50
    actions = planner._tag_changes("a1", actual, {ownership.DROP: f"{G1}:{G2}"}, set())
    assert actions == [UntagRepository("a1", tuple(sorted([ownership.ref_key("f" * 12), ownership.ref_key(G1)]))),
                       TagRepository("a1", ((ownership.DROP, f"{G1}:{G2}"),))]
