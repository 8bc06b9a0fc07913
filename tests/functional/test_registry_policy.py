"""Custom::EcrRegistry's registry policy through the Lambda entry point: PolicyStatements and
ReplicationSourceAccountIds merged with others' statements, ownership by declaration, the scope."""

from __future__ import annotations

import json
import re

import pytest

from ecr_repos.registry.ownership import sid_prefix
from tests.support.registry_stack import RegistryResource, policy_sids

SOURCE, OTHER = "111111111111", "222222222222"
PULL_CACHE = {"Sid": "CacheImport", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
              "Action": ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]}
FOREIGN = {"Sid": "HandMade", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
           "Action": "ecr:ReplicateImage", "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"}


def sid(resource, name):
    return sid_prefix(resource.stack_id, resource.logical_id) + name


@pytest.fixture
def registry(aws, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    return RegistryResource()


def put_foreign(ecr, *statements):
    ecr.put_registry_policy(policyText=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def test_create_adds_statements_and_keeps_foreign_ones(registry, ecr):
    put_foreign(ecr, FOREIGN)
    response = registry.create({"PolicyStatements": [PULL_CACHE], "ReplicationSourceAccountIds": [SOURCE]})
    assert response.ok, response.reason
    assert re.fullmatch(r"ecr-registry:demo:Registry:[0-9]{13}", response.physical_id)
    assert response.data == {"AccountId": "123456789012", "Region": "us-east-1",
                             "Registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
                             "PullThroughCacheComplete": "true"}
    found = policy_sids(ecr)
    assert list(found) == ["HandMade", sid(registry, "CacheImport"), sid(registry, f"ReplicateFrom{SOURCE}")]
    assert found[sid(registry, "CacheImport")]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/*"
    assert found[sid(registry, "CacheImport")]["Effect"] == "Allow"
    replicate = found[sid(registry, f"ReplicateFrom{SOURCE}")]
    assert replicate["Principal"] == {"AWS": f"arn:aws:iam::{SOURCE}:root"}
    assert sorted(replicate["Action"]) == ["ecr:CreateRepository", "ecr:ReplicateImage"]


def test_update_removes_only_what_it_declared_and_delete_keeps_foreign(registry, ecr):
    assert registry.create({"PolicyStatements": [PULL_CACHE], "ReplicationSourceAccountIds": [SOURCE]}).ok
    put_foreign(ecr, *policy_sids(ecr).values(), FOREIGN)  # someone adds a statement later
    assert registry.update({"ReplicationSourceAccountIds": [SOURCE, OTHER]}).ok
    assert sorted(policy_sids(ecr)) == sorted(["HandMade", sid(registry, f"ReplicateFrom{SOURCE}"),
                                               sid(registry, f"ReplicateFrom{OTHER}")])
    assert registry.delete().ok
    assert list(policy_sids(ecr)) == ["HandMade"]


def test_delete_of_the_last_statements_deletes_the_policy(registry, ecr):
    assert registry.create({"PolicyStatements": [PULL_CACHE]}).ok
    assert registry.delete().ok
    assert policy_sids(ecr) == {}


def test_a_foreign_sid_is_refused_before_any_write_unless_adopted(registry, ecr):
    put_foreign(ecr, {**FOREIGN, "Sid": "CacheImport"})
    response = registry.create({"PolicyStatements": [PULL_CACHE], "ReplicationSourceAccountIds": [SOURCE]})
    assert not response.ok
    assert response.reason == ("PolicyStatements: registry policy statement Sid 'CacheImport' already exists and is "
                               "not this resource's; nothing was changed. Remove it here or where it was made, or set "
                               "AdoptExisting: true to take it over.")
    assert re.fullmatch(r"ecr-registry:demo:Registry:[0-9]{13}:unwritten", response.physical_id)
    assert list(policy_sids(ecr)) == ["CacheImport"]
    assert registry.delete().ok  # CloudFormation's Delete after the failed Create removes nothing
    assert policy_sids(ecr)["CacheImport"]["Action"] == "ecr:ReplicateImage"
    adopted = RegistryResource(logical_id="Adopter")
    assert adopted.create({"PolicyStatements": [PULL_CACHE], "AdoptExisting": True}).ok
    assert list(policy_sids(ecr)) == [sid(adopted, "CacheImport")]  # the hand-made one is replaced
    assert adopted.delete().ok
    assert policy_sids(ecr) == {}


def test_two_resources_share_the_policy_and_never_remove_each_others_statements(registry, ecr):
    other = RegistryResource(stack_name="other", logical_id="Registry")
    assert registry.create({"PolicyStatements": [PULL_CACHE]}).ok
    assert other.create({"ReplicationSourceAccountIds": [SOURCE]}).ok
    # The same declared Sid in both: each resource writes its own statement.
    assert other.update({"ReplicationSourceAccountIds": [SOURCE], "PolicyStatements": [PULL_CACHE]}).ok
    assert other.rollback().ok  # another resource of the stack failed: CloudFormation rolls this one back
    assert sorted(policy_sids(ecr)) == sorted([sid(registry, "CacheImport"), sid(other, f"ReplicationFrom{SOURCE}")
                                               .replace("ReplicationFrom", "ReplicateFrom")])
    assert registry.delete().ok
    assert list(policy_sids(ecr)) == [sid(other, f"ReplicateFrom{SOURCE}")]
    assert other.delete().ok
    assert policy_sids(ecr) == {}


def test_a_create_sent_twice_and_a_delete_sent_twice_succeed(registry, ecr):
    event = registry.event("Create", {"PolicyStatements": [PULL_CACHE]})
    first, again = registry.send(event), registry.send(event)
    assert first.ok and again.ok, again.reason
    registry.physical_id, registry.properties = first.physical_id, {"PolicyStatements": [PULL_CACHE]}
    assert len(policy_sids(ecr)) == 1
    assert registry.delete().ok and registry.delete().ok
    assert policy_sids(ecr) == {}


def test_scope_v1_refuses_actions_it_does_not_enforce(registry, ecr):
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    statement = {"Sid": "Pull", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": ["ecr:BatchGetImage"]}
    response = registry.create({"PolicyStatements": [statement]})
    assert not response.ok
    assert response.reason.startswith("Invalid properties: PolicyStatements[0].Action: ecr:BatchGetImage not allowed: "
                                      "the registry's policy scope is V1")
    assert policy_sids(ecr) == {}
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
    assert registry.create({"PolicyStatements": [statement]}).ok


@pytest.mark.parametrize("properties, reason", [
    ({"PolicyStatements": [{"Sid": "A", "Principal": "*", "Action": "ecr:Nope"}]},
     "Invalid properties: PolicyStatements[0].Action: 'ecr:Nope' is not an ECR action; use one of the ECR API's, "
     "like ecr:ReplicateImage"),
    ({"PolicyStatements": [{"Sid": "A", "Principal": "*", "Action": "ecr:ReplicateImage"},
                           {"Sid": "A", "Principal": "*", "Action": "ecr:CreateRepository"}]},
     "Invalid properties: PolicyStatements[1].Sid: repeats the Sid of PolicyStatements[0]; give each statement its "
     "own Sid"),
    ({"PolicyStatements": [{"Sid": "EcrRegistryMine", "Principal": "*", "Action": "ecr:ReplicateImage"}]},
     "Invalid properties: PolicyStatements[0].Sid: Sids starting with EcrRegistry are the provider's own, got "
     "'EcrRegistryMine'; rename it"),
    ({"PolicyStatements": [{"Sid": "a-b", "Principal": "*", "Action": "ecr:ReplicateImage"}]},
     "Invalid properties: PolicyStatements[0].Sid: must be letters and digits only (IAM's Sid), not starting with "
     "EcrRegistry (the provider's own), got 'a-b'"),
    ({"ReplicationSourceAccountIds": ["12345"]},
     "Invalid properties: ReplicationSourceAccountIds[0]: must be a 12-digit AWS account id, got '12345'"),
    ({"PolicyStatments": []},
     "Invalid properties: PolicyStatments: unknown key; did you mean 'PolicyStatements'?"),
])
def test_bad_input_fails_before_any_write(registry, ecr, properties, reason):
    response = registry.create(properties)
    assert (response.status, response.reason) == ("FAILED", reason)
    assert policy_sids(ecr) == {}
