"""The pure planner of Custom::EcrRegistry: tables of desired, owned and actual -> conflicts and actions."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from ecr_repos.registry import planner
from ecr_repos.registry.planner import (Conflict, CreateCacheRule, DeleteCacheRule, DeregisterExclusion, Plan,
                                        PutScanning, RegisterExclusion, RegistryState, UpdateCacheRule, WritePolicy,
                                        WriteReplication)
from ecr_repos.registry.spec import DEFAULT_SCANNING, CacheRule, RegistrySpec, ReplicationRule, Scanning, Statement

MINE = "EcrRegistry0000abcd"
EU = ReplicationRule((("eu-west-1", "123456789012"),))
US = ReplicationRule((("us-west-2", "123456789012"),), ("app/",))
HUB = CacheRule("hub", "docker-hub", "registry-1.docker.io", "arn:secret:one")
QUAY = CacheRule("quay", "quay", "quay.io")
ENHANCED = Scanning("ENHANCED", (("CONTINUOUS_SCAN", ("*",)),))
CI = "arn:aws:iam::123456789012:role/ci"


def statement(sid: str, action: str = "ecr:ReplicateImage", declared: str | None = None) -> Statement:
    return Statement(sid, json.dumps({"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": [action]}), declared)


def policy(*statements: Statement | dict) -> str:
    docs = [s.document if isinstance(s, Statement) else s for s in statements]
    return json.dumps({"Version": "2012-10-17", "Statement": docs})


def spec(**kw) -> RegistrySpec:
    return RegistrySpec(sid_prefix=MINE, **kw)


def dated(rule: CacheRule, at: float) -> dict:
    return {**rule.api(), "createdAt": datetime.fromtimestamp(at, timezone.utc)}


OURS = statement(MINE + "Pull", declared="Pull")
FOREIGN = {"Sid": "Lambda", "Effect": "Allow", "Principal": "*", "Action": "ecr:CreateRepository"}


@pytest.mark.parametrize("desired, old, state, expected", [
    # statements: ours are found by the Sid prefix, others are kept
    (spec(statements=(OURS,)), None, RegistryState(), Plan((WritePolicy(frozenset(), (OURS,)),))),
    (spec(statements=(OURS,)), spec(statements=(OURS,)), RegistryState(policy=policy(FOREIGN, OURS)), Plan()),
    (spec(), spec(), RegistryState(policy=policy(FOREIGN, OURS)), Plan((WritePolicy(frozenset({OURS.sid}), ()),))),
    (spec(statements=(OURS,)), None, RegistryState(policy=policy({**FOREIGN, "Sid": "Pull"})),
     Plan(conflicts=(Conflict("PolicyStatements", "Pull"),))),
    (spec(statements=(OURS,), adopt_existing=True), None, RegistryState(policy=policy({**FOREIGN, "Sid": "Pull"})),
     Plan((WritePolicy(frozenset({"Pull"}), (OURS,)),))),
    # replication rules: by content
    (spec(replication_rules=(EU,)), None, RegistryState(replication=(US.api(),)),
     Plan((WriteReplication((), (EU,)),))),
    (spec(replication_rules=(EU,)), None, RegistryState(replication=(EU.api(),)),
     Plan(conflicts=(Conflict("ReplicationRules", "to 123456789012/eu-west-1"),))),
    (spec(), spec(replication_rules=(EU, US)), RegistryState(replication=(EU.api(),)),
     Plan((WriteReplication((EU,), ()),))),
    # cache rules: credential in place, upstream anew, foreign refused, removal only of what is ours
    (spec(cache_rules={"hub": HUB}), spec(cache_rules={"hub": CacheRule("hub", "docker-hub", "registry-1.docker.io",
                                                                         "arn:secret:old")}),
     RegistryState(cache_rules={"hub": {**HUB.api(), "credentialArn": "arn:secret:old"}}),
     Plan((UpdateCacheRule(HUB),))),
    (spec(cache_rules={"hub": QUAY.__class__("hub", "quay", "quay.io")}), spec(cache_rules={"hub": HUB}),
     RegistryState(cache_rules={"hub": HUB.api()}),
     Plan((DeleteCacheRule("hub"), CreateCacheRule(CacheRule("hub", "quay", "quay.io"))))),
    (spec(cache_rules={"quay": QUAY}), None, RegistryState(cache_rules={"quay": QUAY.api()}),
     Plan(conflicts=(Conflict("PullThroughCacheRules", "quay"),))),
    (spec(), spec(cache_rules={"quay": QUAY}), RegistryState(cache_rules={"quay": {**QUAY.api(), "url": "x"}}),
     Plan((DeleteCacheRule("quay"),))),
    (spec(), spec(cache_rules={"quay": QUAY}), RegistryState(cache_rules={"quay": {**QUAY.api(),
                                                                                   "upstreamRegistryUrl": "other"}}),
     Plan()),  # someone else's rule under the prefix since: kept
    # scanning: one owner; ECR's default is nobody's
    (spec(scanning=ENHANCED), None, RegistryState(), Plan((PutScanning(ENHANCED),))),
    (spec(scanning=ENHANCED), None, RegistryState(scanning=Scanning("BASIC", (("SCAN_ON_PUSH", ("*",)),))),
     Plan(conflicts=(Conflict("Scanning", "BASIC with 1 rules"),))),
    (spec(), spec(scanning=ENHANCED), RegistryState(scanning=ENHANCED), Plan((PutScanning(DEFAULT_SCANNING),))),
    (spec(), spec(scanning=ENHANCED), RegistryState(scanning=DEFAULT_SCANNING), Plan()),
    # exclusions: by ARN
    (spec(exclusions=(CI,)), None, RegistryState(), Plan((RegisterExclusion(CI),))),
    (spec(exclusions=(CI,)), None, RegistryState(exclusions=(CI,)),
     Plan(conflicts=(Conflict("PullTimeUpdateExclusions", CI),))),
    (spec(), spec(exclusions=(CI,)), RegistryState(exclusions=(CI,)), Plan((DeregisterExclusion(CI),))),
])
def test_plan(desired, old, state, expected):
    assert planner.plan(desired, old, state) == expected


def test_a_part_ecr_dates_before_the_resource_is_never_removed():
    created = 1_800_000_000.0
    state = RegistryState(cache_rules={"quay": dated(QUAY, created - 60)})
    assert planner.plan(spec(), spec(cache_rules={"quay": QUAY}), state, since=created) == Plan()
    state = RegistryState(cache_rules={"quay": dated(QUAY, created + 60)})
    assert planner.plan(spec(), spec(cache_rules={"quay": QUAY}), state, since=created) == \
        Plan((DeleteCacheRule("quay"),))


def test_merged_policy_over_ecrs_limit_is_refused():
    big = {"Sid": "Big", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"] * 330},
           "Action": "ecr:CreateRepository"}
    found = planner.plan(spec(statements=(OURS,)), None, RegistryState(policy=policy(big)))
    assert found.actions == () and found.limits[0].field == "PolicyStatements"
    assert found.limits[0].size > 10240 and found.limits[0].foreign > 10000


def test_merges_keep_others_parts_in_their_order():
    write = WritePolicy(frozenset({MINE + "Old"}), (OURS,))
    merged = json.loads(planner.merge_policy(policy(FOREIGN, statement(MINE + "Old")), write))
    assert [s["Sid"] for s in merged["Statement"]] == ["Lambda", OURS.sid]
    assert planner.merge_policy(policy(statement(MINE + "Old")), WritePolicy(frozenset({MINE + "Old"}), ())) is None
    assert planner.policy_holds(json.dumps(merged), write)
    assert not planner.policy_holds(policy(FOREIGN), write)  # a writer replaced it: retry
    rules = planner.merge_replication([US.api(), EU.api()], WriteReplication((EU,), (ReplicationRule((("x", "1"),)),)))
    assert rules == [US.api(), ReplicationRule((("x", "1"),)).api()]


def test_statements_compare_as_iam_reads_them():
    assert planner.same_statement({"Action": ["ecr:A"], "Principal": {"AWS": ["b", "a"]}},
                                  {"Action": "ecr:A", "Principal": {"AWS": ["a", "b"]}})
    assert not planner.same_statement({"Action": "ecr:A"}, {"Action": "ecr:B"})
    assert planner.same_statement({"Principal": {"AWS": "111111111111"}},
                                  {"Principal": {"AWS": ["arn:aws:iam::111111111111:root"]}})


def test_a_spec_without_an_owners_mark_removes_no_statement():
    unmarked = RegistrySpec()  # sid_prefix "EcrRegistry": every resource's statements start with it
    state = RegistryState(policy=policy(OURS, statement("EcrRegistryffff0000Other")))
    assert planner.plan(RegistrySpec(), unmarked, state) == Plan()
