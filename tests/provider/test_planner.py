"""Unit tests of provider.planner: desired vs actual -> actions, no AWS at all."""

from __future__ import annotations

import json

import pytest

from provider import ownership, planner, spec
from provider.ownership import Owner
from provider.planner import (
    Conflict,
    CreateRepository,
    DeleteIfEmpty,
    DeleteRepository,
    DeleteRepositoryPolicy,
    PutLifecyclePolicy,
    RepoState,
    SetMutability,
    SetRepositoryPolicy,
    SetScanOnPush,
    TagRepository,
    UntagRepository,
)

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


def ours(*gens, origin="created", extra=None):
    tags = {**OWNER.tags(origin), **{ownership.ref_key(g): "1" for g in gens}}
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
    assert dict(create.tags) == {**OWNER.tags("created"), ownership.ref_key(G1): "1", "team": "a"}
    assert (create.immutable, create.scan_on_push) == (True, True)


def test_repeat_create_is_a_no_op():
    want = desired({"app/api": {}})
    plan = planner.plan_apply(want, {"app/api": state("app/api", tags=ours(G1))}, OWNER, G1)
    assert plan.actions == [] and plan.by_change(planner.KEEP) == ["app/api"]


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
    assert dict(tag.tags) == {**OWNER.tags("adopted"), ownership.ref_key(G1): "1"}
    assert [type(a) for a in rest] == [SetMutability, PutLifecyclePolicy]


def test_update_tags_removes_only_what_was_managed_before():
    old = desired({"app/api": {"Tags": {"a": "1", "b": "2"}}})
    new = desired({"app/api": {"Tags": {"a": "9"}}})
    st = state("app/api", tags=ours(G1, extra={"a": "1", "b": "2", "manual": "z"}))
    plan = planner.plan_apply(new, {"app/api": st}, OWNER, G1, old=old, old_gen=G1)
    assert plan.actions == [TagRepository("app/api", (("a", "9"),)), UntagRepository("app/api", ("b",))]
    assert plan.by_change(planner.UPDATE) == ["app/api"]


def test_update_with_new_generation_adds_ref_and_prunes_dead_ones():
    old = desired({"app/api": {}, "app/old": {}})
    new = desired({"app/api": {}, "app/new": {}})
    dead = "c" * 12
    states = {"app/api": state("app/api", tags=ours(G1, dead)), "app/new": None}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1)
    api = next(c for c in plan.changes if c.repo == "app/api")
    assert api.actions == (TagRepository("app/api", ((ownership.ref_key(G2), "1"),)),
                           UntagRepository("app/api", (ownership.ref_key(dead),)))
    assert plan.removed == ("app/old",)
    assert not any(isinstance(a, DeleteRepository) for a in plan.actions)


def test_trusted_repository_is_not_inspected_and_only_gets_the_ref():
    old = desired({"app/api": {}, "app/old": {}})
    new = desired({"app/api": {}})
    assert planner.names_to_inspect(new, old, {"app/api", "app/old"}) == set()
    states = {"app/api": state("app/api", inspected=False), "app/old": state("app/old", inspected=False)}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1)
    assert plan.actions == [TagRepository("app/api", ((ownership.ref_key(G2), "1"),))]


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


def test_names_to_check_refs_only_when_the_set_changes():
    old = desired({"a1": {}, "b1": {}})
    assert planner.names_to_check_refs(desired({"a1": {}, "b1": {"IsImmutable": "false"}}), old, {"a1", "b1"}) == set()
    assert planner.names_to_check_refs(desired({"a1": {}, "c1": {}}), old, {"a1", "b1", "c1"}) == {"a1", "b1", "c1"}
    assert planner.names_to_check_refs(desired({"a1": {}}), None, {"a1"}) == set()


def test_removal_takes_a_new_generation():
    old = desired({"a1": {}, "b1": {}})
    new = desired({"a1": {}})
    states = {"a1": state("a1", tags=ours(G1), policies=False), "b1": state("b1", tags=ours(G1), policies=False)}
    plan = planner.plan_apply(new, states, OWNER, G2, old=old, old_gen=G1)
    assert plan.physical_id == OWNER.physical_id(G2) and plan.removed == ("b1",)
    assert plan.actions == [TagRepository("a1", ((ownership.ref_key(G2), "1"),))]


def test_rollback_of_a_failed_set_change_keeps_the_id_and_cleans_the_attempt():
    """Original {a1, b1} at G1; a failed update to {a1, x1} (gen F) created x1 and tagged a1.
    CloudFormation's rollback Update sends {a1, b1} back with the failed properties as old ones."""
    failed = "f" * 12
    original = desired({"a1": {}, "b1": {}})
    attempted = desired({"a1": {}, "x1": {}})
    states = {
        "a1": state("a1", tags=ours(G1, failed), policies=False),
        "b1": state("b1", tags=ours(G1)),
        "x1": state("x1", tags=ours(failed), policies=False),
    }
    plan = planner.plan_apply(original, states, OWNER, G2, old=attempted, old_gen=G1)
    assert plan.physical_id == OWNER.physical_id(G1), "the current id already holds exactly {a1, b1}"
    assert plan.actions == [UntagRepository("a1", (ownership.ref_key(failed),)), DeleteIfEmpty("x1")]


def test_orphan_that_was_adopted_is_released_not_deleted():
    failed = "f" * 12
    states = {"a1": state("a1", tags=ours(G1), policies=False),
              "x1": state("x1", tags=ours(failed, origin="adopted", extra={"team": "x"}), policies=False)}
    plan = planner.plan_apply(desired({"a1": {}}), states, OWNER, G2, old=desired({"a1": {}, "x1": {}}), old_gen=G1)
    assert plan.physical_id == OWNER.physical_id(G1)
    assert plan.actions == [UntagRepository("x1", tuple(sorted(ours(failed, origin="adopted"))))]


def test_dropped_repository_of_another_stack_is_never_an_orphan():
    states = {"a1": state("a1", tags=ours(G1), policies=False),
              "x1": state("x1", tags=OTHER.tags("created") | {ownership.ref_key("f" * 12): "1"}, policies=False)}
    plan = planner.plan_apply(desired({"a1": {}}), states, OWNER, G2, old=desired({"a1": {}, "x1": {}}), old_gen=G1)
    assert plan.actions == []


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
