"""Unit tests of ecr_repos.cli.differences: a plan and the states it was made from -> differences. No AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ecr_repos.repos import ownership, planner, spec
from ecr_repos.cli import differences as drift
from ecr_repos.repos.ownership import Owner
from ecr_repos.repos.planner import Conflict, Plan, RepoChange
from ecr_repos.repos.state import RepoState

OWNER = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/web/uuid", "Repos")
GEN = "a" * 12


def declared(repos):
    return spec.parse({"ServiceToken": "t", "EcrRepositories": repos})


def ours(extra=None):
    return {**OWNER.tags(ownership.CREATED), ownership.ref_key(GEN): "1", **(extra or {})}


def live(name, want, **changes):
    values = dict(immutable=want.immutable, scan_on_push=want.scan_on_push, arn=f"arn:{name}",
                  tags=ours(want.tag_map), lifecycle_policy=want.lifecycle_policy,
                  repository_policy=want.repository_policy, policies_read=True)
    values.update(changes)
    return RepoState(name, **values)


def found(desired, states, refs_known=True):
    plan = planner.plan_apply(desired, states, OWNER, "0" * 12, old=desired, old_gen=GEN if refs_known else None)
    return drift.differences(plan, desired, states, refs_known=refs_known)


def test_in_sync_is_no_drift():
    d = declared({"app/api": {"AdditionalPullAccountIds": ["222222222222"], "Tags": {"tier": "web"}}})
    assert found(d, {"app/api": live("app/api", d.repos["app/api"])}) == []


def test_each_setting_is_one_difference_named_by_repository_and_setting():
    d = declared({"app/a": {"Tags": {"tier": "web"}}, "app/b": {}, "app/gone": {}})
    a, b = d.repos["app/a"], d.repos["app/b"]
    states = {
        "app/a": live("app/a", a, immutable=False, scan_on_push=False, tags=ours({"tier": "db", "note": "mine"})),
        "app/b": live("app/b", b, lifecycle_policy=None, repository_policy='{"Statement":[]}'),
        "app/gone": None,
    }
    out = found(d, states)
    assert [(x.repo, x.setting, x.summary) for x in out] == [
        ("app/a", "mutability", "live MUTABLE, declared IMMUTABLE"),
        ("app/a", "scan_on_push", "live false, declared true"),
        ("app/a", "tags", "differ"),
        ("app/b", "lifecycle_policy", "missing"),
        ("app/b", "repository_policy", "set, and none is declared: the repair deletes it"),
        ("app/gone", "repository", "missing: the repair creates it (empty)"),
    ]
    assert out[2].details == ("tier: live 'db', declared 'web'",)  # 'note' is not managed: no drift
    assert out[0].as_json()["live"] == "MUTABLE"


def test_tag_exclusions_show_in_the_mutability_value_as_ecr_holds_it():
    d = declared({"app/api": {"MutableTagPatterns": ["latest"]}})
    want = d.repos["app/api"]
    [out] = found(d, {"app/api": live("app/api", want, tag_exclusions=frozenset())})
    assert (out.setting, out.summary, out.details) == (
        "mutability", "live IMMUTABLE, declared IMMUTABLE_WITH_EXCLUSION",
        ("tag exclusions: live [], declared ['latest']",))


def test_ownership_problems_are_not_repairable():
    d = declared({"app/x": {}, "app/y": {}})
    x, y = d.repos["app/x"], d.repos["app/y"]
    other = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/other/u", "Repos").tags(ownership.CREATED)
    out = found(d, {"app/x": live("app/x", x, tags=other), "app/y": live("app/y", y, tags={})})
    assert [(o.repo, o.setting, o.repairable) for o in out] == [("app/x", "ownership", False),
                                                                  ("app/y", "ownership", False)]
    assert "'other'" in out[0].summary and "AdoptExisting" in out[1].summary


def test_a_repository_without_reference_tags_is_in_sync():
    """Since issue 10 a physical id holds what its properties name (no per-id reference tag): the
    owner tags alone are the provider's, and their absence of references is not drift."""
    d = declared({"app/api": {}})
    state = live("app/api", d.repos["app/api"], tags=OWNER.tags(ownership.CREATED))
    assert found(d, {"app/api": state}) == []
    assert found(d, {"app/api": state}, refs_known=False) == []


def test_lifecycle_diff_names_the_rules_that_differ():
    want = json.dumps({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["dev-*"],
                                          "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
         "action": {"type": "expire"}}]})
    have = json.loads(want)
    have["rules"][1]["selection"]["countNumber"] = 30
    have["rules"][0]["rulePriority"] = 5
    assert drift.lifecycle_diff(json.dumps(have), want) == [
        "rule 1: missing (untagged, more than 3 images: expire)",
        "rule 2: selection.countNumber: live 30, declared 7",
        "rule 5: not declared (untagged, more than 3 images: expire)",
    ]
    assert drift.lifecycle_diff(None, want)[1] == "rule 2: missing (tagged dev-*, 7 days since sinceImagePushed: expire)"
    assert drift.lifecycle_diff("not json", want) == ["the live text is not a readable lifecycle policy"]


def test_policy_diff_by_statement_and_blind_to_iam_collapsing():
    want = {"Version": "2012-10-17", "Statement": [
        {"Sid": "EcrReposPull", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]},
         "Action": ["ecr:BatchGetImage"]},
        {"Sid": "Theirs", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": ["ecr:BatchGetImage"]}]}
    have = json.loads(json.dumps(want))
    have["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::333333333333:root"}  # IAM's one-element form
    have["Statement"][1]["Action"] = "ecr:BatchGetImage"
    have["Statement"].append({"Sid": "Extra", "Effect": "Deny", "Principal": "*", "Action": "ecr:*"})
    assert drift.policy_diff(json.dumps(have), json.dumps(want)) == [
        "statement EcrReposPull: Principal.AWS: live [\"arn:aws:iam::333333333333:root\"], "
        "declared [\"arn:aws:iam::222222222222:root\"]",
        "statement Extra: not declared (the repair removes it)",
        "statement Theirs: unchanged",
    ]
    assert drift.policy_diff(json.dumps(have), json.dumps(want), {"EcrReposPull"})[-1] == (
        "statement Theirs: not the provider's, kept")


@dataclass(frozen=True)
class SetSomethingNew:
    repo: str
    value: str


def test_an_action_the_module_does_not_know_is_still_drift():
    """Settings the planner learns later are reported before this module has words for them."""
    d = declared({"app/api": {}})
    plan = Plan("id", (RepoChange("app/api", planner.UPDATE, (SetSomethingNew("app/api", "x"),)),),
                (Conflict("app/other", None),))
    out = drift.differences(plan, d, {"app/api": None})
    assert [(o.repo, o.setting, o.summary, o.declared) for o in out] == [
        ("app/api", "set_something_new", "SetSomethingNew(value='x')", {"value": "x"}),
        ("app/other", "ownership", out[1].summary, None),
    ]


class SetMutabilityWithExclusions(planner.SetMutability):
    __slots__ = ("repo", "immutable", "tag_exclusions", "exclusions")
    _defaults = {"tag_exclusions": (), "exclusions": ()}


def test_fields_a_known_action_gains_later_are_shown():
    d = declared({"app/api": {}})
    state = live("app/api", d.repos["app/api"], immutable=False)
    plan = Plan("id", (RepoChange("app/api", planner.UPDATE, (SetMutabilityWithExclusions("app/api", True, exclusions=("v*",)),)),))
    [out] = drift.differences(plan, d, {"app/api": state})
    assert (out.setting, out.summary, out.details) == (
        "mutability", "live MUTABLE, declared IMMUTABLE", ("exclusions: live None, declared ('v*',)",))
