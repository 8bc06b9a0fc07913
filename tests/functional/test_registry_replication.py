"""Custom::EcrRegistry's ReplicationRules through the Lambda entry point: merged into the registry's one
replication configuration beside others' rules, and two stacks writing at once never undo each other."""

from __future__ import annotations

import multiprocessing
import os

import boto3

import pytest

from ecr_repos.registry.ownership import sid_prefix
from tests.support import registry_fidelity
from tests.support.registry_stack import RegistryResource, policy_sids, replication_rules

DR = {"Destinations": [{"Region": "eu-west-1"}], "RepositoryPrefixes": ["app/"]}
CROSS = {"Destinations": [{"Region": "us-west-2", "AccountId": "999999999999"}, {"Region": "eu-west-1"}]}
FOREIGN = {"destinations": [{"region": "ap-southeast-2", "registryId": "123456789012"}],
           "repositoryFilters": [{"filter": "legacy", "filterType": "PREFIX_MATCH"}]}


@pytest.fixture
def registry(aws, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    return RegistryResource()


def test_rules_are_added_beside_foreign_ones_and_removed_alone(registry, ecr):
    ecr.put_replication_configuration(replicationConfiguration={"rules": [FOREIGN]})
    assert registry.create({"ReplicationRules": [DR, CROSS]}).ok
    assert replication_rules(ecr) == [
        FOREIGN,
        {"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}],
         "repositoryFilters": [{"filter": "app/", "filterType": "PREFIX_MATCH"}]},
        {"destinations": [{"region": "eu-west-1", "registryId": "123456789012"},
                          {"region": "us-west-2", "registryId": "999999999999"}]},
    ]
    assert registry.update({"ReplicationRules": [CROSS]}).ok
    assert len(replication_rules(ecr)) == 2 and replication_rules(ecr)[0] == FOREIGN
    assert registry.delete().ok
    assert replication_rules(ecr) == [FOREIGN]


def test_an_existing_identical_rule_is_refused_unless_adopted(registry, ecr):
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}],
         "repositoryFilters": [{"filter": "app/", "filterType": "PREFIX_MATCH"}]}]})
    response = registry.create({"ReplicationRules": [DR]})
    assert not response.ok
    assert response.reason.startswith("ReplicationRules: replication rule 'to 123456789012/eu-west-1 for app/' already "
                                      "exists and is not this resource's; nothing was changed.")
    assert registry.delete().ok and len(replication_rules(ecr)) == 1
    assert RegistryResource(logical_id="Adopt").create({"ReplicationRules": [DR], "AdoptExisting": True}).ok
    assert len(replication_rules(ecr)) == 1


def test_more_than_ecr_allows_in_all_is_refused_before_any_write(registry, ecr):
    foreign = [{"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}],
                "repositoryFilters": [{"filter": f"team{i}", "filterType": "PREFIX_MATCH"}]} for i in range(24)]
    ecr.put_replication_configuration(replicationConfiguration={"rules": foreign})
    response = registry.create({"ReplicationRules": [DR, CROSS]})
    assert not response.ok
    assert response.reason == ("ReplicationRules: the registry would hold 26 rules, 24 of them others'; ECR allows 25. "
                               "Nothing was changed. Declare fewer, or remove others' from the registry.")
    assert replication_rules(ecr) == foreign


@pytest.mark.parametrize("rule, reason", [
    ({"Destinations": [{"Region": "us-east-1"}]},
     "Invalid properties: ReplicationRules[0].Destinations[0]: is this registry itself (123456789012 in us-east-1); "
     "replicate to another region or account"),
    ({"Destinations": []}, "Invalid properties: ReplicationRules[0].Destinations: must list at least 1; add one or "
                           "remove the key"),
    ({"Destinations": [{"Region": "EU"}]},
     "Invalid properties: ReplicationRules[0].Destinations[0].Region: must be an AWS region name, like eu-west-1, "
     "got 'EU'"),
])
def test_bad_rules_fail_before_any_write(registry, ecr, rule, reason):
    response = registry.create({"ReplicationRules": [rule]})
    assert (response.status, response.reason) == ("FAILED", reason)
    assert replication_rules(ecr) == []


def _invoke(event, endpoint, answers):
    """One Lambda invocation in a process of its own (as two concurrent Lambdas are), against the server."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from tests.support.cfn import invoke_one

    answers.put((event["StackId"], invoke_one(event).body))


@pytest.fixture
def server(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    yield f"http://{host}:{port}"
    server.stop()


def test_two_stacks_writing_at_once_never_undo_each_other(server, monkeypatch):
    """Two Lambdas (two processes) create at once; both read the replication configuration and the policy
    before either writes (slow reads), so the second write drops the first's rule and statement unless
    the writer notices: each re-reads after its write and merges again."""
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0.5")
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=server)
    one, two = RegistryResource(stack_name="one"), RegistryResource(stack_name="two")
    events = [one.event("Create", {"ReplicationRules": [DR], "ReplicationSourceAccountIds": ["111111111111"]}),
              two.event("Create", {"ReplicationRules": [CROSS], "ReplicationSourceAccountIds": ["222222222222"]})]
    fork = multiprocessing.get_context("fork")
    answers = fork.Queue()
    with registry_fidelity.slow_reads(0.2):
        workers = [fork.Process(target=_invoke, args=(event, server, answers)) for event in events]
        for worker in workers:
            worker.start()
        bodies = dict(answers.get(timeout=60) for _ in workers)
        for worker in workers:
            worker.join(timeout=10)
    assert [bodies[r.stack_id]["Status"] for r in (one, two)] == ["SUCCESS", "SUCCESS"], bodies
    assert len(replication_rules(ecr)) == 2
    assert sorted(policy_sids(ecr)) == sorted([sid_prefix(one.stack_id, "Registry") + "ReplicateFrom111111111111",
                                               sid_prefix(two.stack_id, "Registry") + "ReplicateFrom222222222222"])
    one.physical_id, one.properties = bodies[one.stack_id]["PhysicalResourceId"], {"ReplicationRules": [DR],
                                                                                  "ReplicationSourceAccountIds": ["111111111111"]}
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    assert one.delete().ok
    assert len(replication_rules(ecr)) == 1 and len(policy_sids(ecr)) == 1
