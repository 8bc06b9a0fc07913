"""Two stacks sharing one registry never undo each other's parts, through every CloudFormation sequence."""

from __future__ import annotations

import time

import pytest

from tests.support.registry_stack import (RegistryResource, cache_rules, exclusions, policy_sids, replication_rules,
                                          templates)


def parts(n: int) -> dict:
    return {
        "PolicyStatements": [{"Sid": "Import", "Principal": {"AWS": f"arn:aws:iam::{str(n) * 12}:root"},
                              "Action": "ecr:BatchImportUpstreamImage"}],
        "ReplicationSourceAccountIds": [f"{n}" * 12],
        "ReplicationRules": [{"Destinations": [{"Region": "eu-west-1"}], "RepositoryPrefixes": [f"team{n}/"]}],
        "PullThroughCacheRules": {f"k8s-{n}": {"Upstream": "k8s"}},
        "RepositoryCreationTemplates": {f"team{n}/": {"AppliedFor": ["REPLICATION"]}},
        "PullTimeUpdateExclusions": [f"arn:aws:iam::123456789012:role/ci-{n}"],
    }


def snapshot(ecr) -> tuple:
    return (sorted(policy_sids(ecr)), replication_rules(ecr), sorted(cache_rules(ecr)), sorted(templates(ecr)),
            exclusions(ecr))


@pytest.fixture
def stacks(aws, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    return RegistryResource(stack_name="one"), RegistryResource(stack_name="two")


def test_each_stacks_updates_rollbacks_and_deletes_leave_the_other_alone(stacks, ecr):
    one, two = stacks
    assert one.create(parts(1)).ok
    alone = snapshot(ecr)
    time.sleep(2.1)  # stack two comes later than ECR's dates of one's parts, beyond the allowed clock skew
    assert two.create(parts(2)).ok
    both = snapshot(ecr)
    assert len(both[0]) == 4 and len(both[1]) == 2 and len(both[2]) == 2
    # two changes everything, then the stack update fails elsewhere: rolled back in place
    changed = {**parts(3), "PullThroughCacheRules": {"k8s-2": {"Upstream": "quay"}}}
    assert two.update(changed).ok
    assert snapshot(ecr)[2] == ["k8s-1", "k8s-2"] and cache_rules(ecr)["k8s-1"]["upstreamRegistry"] == "k8s"
    assert two.rollback().ok
    assert snapshot(ecr) == both
    # two tries to take one's parts: refused before any write, and its rollback removes nothing of one's
    taking = {"k8s-1": {"Upstream": "k8s"}, "k8s-2": {"Upstream": "k8s"}}
    refused = two.update({**parts(2), "PullThroughCacheRules": taking})
    assert not refused.ok and "'k8s-1' already exists and is not this resource's" in refused.reason
    assert two.rollback().ok
    assert snapshot(ecr) == both
    # two is deleted: exactly one's parts remain
    assert two.delete().ok
    assert snapshot(ecr) == alone
    assert one.delete().ok
    assert snapshot(ecr) == ([], [], [], [], [])
