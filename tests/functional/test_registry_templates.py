"""Custom::EcrRegistry's RepositoryCreationTemplates, Scanning and PullTimeUpdateExclusions through the
Lambda entry point."""

from __future__ import annotations

import json
import time

import pytest

from ecr_repos.repos import access, lifecycle
from tests.support.registry_stack import RegistryResource, exclusions, scanning, templates

ROLE = "arn:aws:iam::123456789012:role/ecr-templates"
CI = "arn:aws:iam::123456789012:role/ci"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def registry(aws, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    return RegistryResource()


def test_a_template_carries_the_settings_of_a_repository_built_by_the_same_code(registry, ecr):
    settings = {"IsImmutable": True, "MutableTagPatterns": ["latest"], "ExpirationRules": [{"TagPattern": "pr-*",
                "Days": 7}], "AdditionalPullAccountIds": ["111111111111"], "Encryption": "KMS", "KmsKey": KEY,
                "Tags": {"team": "platform"}}
    response = registry.create({"RepositoryCreationTemplates": {"cache/": {
        "AppliedFor": ["PULL_THROUGH_CACHE", "REPLICATION"], "CustomRoleArn": ROLE, "Description": "cached images",
        "RepositorySettings": settings}}})
    assert response.ok, response.reason
    found = templates(ecr)["cache/"]
    assert found["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert found["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "latest"}]
    assert found["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": KEY}
    assert found["resourceTags"] == [{"Key": "team", "Value": "platform"}]
    assert sorted(found["appliedFor"]) == ["PULL_THROUGH_CACHE", "REPLICATION"]
    assert (found["customRoleArn"], found["description"]) == (ROLE, "cached images")
    # The very texts Custom::EcrRepos writes for a repository with these settings.
    rules = [lifecycle.Rule("pr-*", "Days", 7)]
    assert json.loads(found["lifecyclePolicy"]) == json.loads(lifecycle.dump(lifecycle.build_policy(rules, False)))
    grants = access.Grants(pull_accounts=("111111111111",))
    assert json.loads(found["repositoryPolicy"]) == access.build_policy("aws", [], [], region="us-east-1", grants=grants)


def test_templates_update_in_place_and_delete_only_their_own(registry, ecr):
    ecr.create_repository_creation_template(prefix="legacy", appliedFor=["REPLICATION"])
    time.sleep(2.1)  # before this request (X-Amz-Date: whole seconds) beyond the allowed clock skew
    assert registry.create({"RepositoryCreationTemplates": {"ROOT": {"AppliedFor": ["CREATE_ON_PUSH"]}}}).ok
    assert templates(ecr)["ROOT"]["imageTagMutability"] == "IMMUTABLE"
    assert registry.update({"RepositoryCreationTemplates": {"ROOT": {"AppliedFor": ["CREATE_ON_PUSH"],
                                                                     "RepositorySettings": {"IsImmutable": False}}}}).ok
    assert templates(ecr)["ROOT"]["imageTagMutability"] == "MUTABLE"
    refused = registry.update({"RepositoryCreationTemplates": {"legacy": {"AppliedFor": ["REPLICATION"]}}})
    assert not refused.ok and refused.reason.startswith("RepositoryCreationTemplates: repository creation template "
                                                        "'legacy' already exists and is not this resource's")
    assert registry.rollback().ok
    assert sorted(templates(ecr)) == ["ROOT", "legacy"]
    assert registry.delete().ok
    assert sorted(templates(ecr)) == ["legacy"]


@pytest.mark.parametrize("template, reason", [
    ({"AppliedFor": ["REPLICATION"], "RepositorySettings": {"Tags": {"a": "b"}}},
     "Invalid properties: RepositoryCreationTemplates.app/.CustomRoleArn: is required for Tags in a template (ECR "
     "creates the repository with that role); add it"),
    ({"AppliedFor": ["REPLICATION"], "RepositorySettings": {"ScanOnPush": True}},
     "Invalid properties: RepositoryCreationTemplates.app/.RepositorySettings.ScanOnPush: does not apply to a creation "
     "template (ECR's templates carry no scanning or deletion setting); remove it"),
    ({"AppliedFor": ["REPLICATION"], "RepositorySettings": {"ExpirationRules": [{"TagPattern": "a", "Dayz": 1}]}},
     "Invalid properties: RepositoryCreationTemplates.app/.RepositorySettings.ExpirationRules[0].Dayz: unknown key; "
     "did you mean 'Days'?"),
    ({"AppliedFor": ["REPLICATION"], "CustomRoleArn": ROLE,
      "RepositorySettings": {"Encryption": "KMS", "KmsKey": "alias/ecr"}},
     "Invalid properties: RepositoryCreationTemplates.app/.RepositorySettings.KmsKey: must be a key ARN in a creation "
     "template (ECR's templates take no alias or key id); use arn:aws:kms:<region>:<account>:key/<id>"),
    ({"AppliedFor": []}, "Invalid properties: RepositoryCreationTemplates.app/.AppliedFor: must list at least 1; add "
                         "one or remove the key"),
])
def test_bad_templates_fail_before_any_write(registry, ecr, template, reason):
    response = registry.create({"RepositoryCreationTemplates": {"app/": template}})
    assert (response.status, response.reason) == ("FAILED", reason)
    assert templates(ecr) == {}


def test_scanning_is_owned_by_one_resource_and_reset_on_delete(registry, ecr):
    wanted = {"ScanType": "ENHANCED", "Rules": [{"Frequency": "CONTINUOUS_SCAN", "RepositoryFilters": ["prod/*"]},
                                                {"Frequency": "SCAN_ON_PUSH", "RepositoryFilters": ["*"]}]}
    assert registry.create({"Scanning": wanted}).ok
    assert scanning(ecr)["scanType"] == "ENHANCED" and len(scanning(ecr)["rules"]) == 2
    other = RegistryResource(stack_name="other")
    refused = other.create({"Scanning": {"ScanType": "BASIC"}})
    assert not refused.ok
    assert refused.reason.startswith("Scanning: the registry's scanning configuration already exists and is not this "
                                     "resource's; nothing was changed.")
    assert other.delete().ok and scanning(ecr)["scanType"] == "ENHANCED"
    assert registry.update({"Scanning": {"ScanType": "BASIC", "Rules": [{"Frequency": "SCAN_ON_PUSH",
                                                                         "RepositoryFilters": ["*"]}]}}).ok
    assert scanning(ecr)["scanType"] == "BASIC"
    assert registry.delete().ok
    assert scanning(ecr) == {"scanType": "BASIC", "rules": []}


def test_continuous_scanning_needs_enhanced(registry, ecr):
    response = registry.create({"Scanning": {"ScanType": "BASIC", "Rules": [{"Frequency": "CONTINUOUS_SCAN",
                                                                             "RepositoryFilters": ["*"]}]}})
    assert response.reason == ("Invalid properties: Scanning.Rules[0].Frequency: CONTINUOUS_SCAN needs ScanType "
                               "ENHANCED (Amazon Inspector); use SCAN_ON_PUSH or set ScanType: ENHANCED")


def test_exclusions_are_registered_and_only_owned_ones_removed(registry, ecr):
    audit = "arn:aws:iam::123456789012:role/audit"
    ecr.register_pull_time_update_exclusion(principalArn=audit)
    refused = RegistryResource(logical_id="Other").create({"PullTimeUpdateExclusions": [audit]})
    assert not refused.ok
    assert refused.reason.startswith(f"PullTimeUpdateExclusions: pull-time update exclusion '{audit}' already exists "
                                     "and is not this resource's; nothing was changed.")
    assert registry.create({"PullTimeUpdateExclusions": [CI]}).ok
    assert exclusions(ecr) == [audit, CI]
    assert registry.update({"PullTimeUpdateExclusions": []}).ok
    assert exclusions(ecr) == [audit]
    assert registry.delete().ok
    assert exclusions(ecr) == [audit]


def test_everything_at_once_and_its_delete(registry, ecr):
    properties = {
        "ReplicationSourceAccountIds": ["111111111111"],
        "ReplicationRules": [{"Destinations": [{"Region": "eu-west-1"}]}],
        "PullThroughCacheRules": {"k8s": {"Upstream": "k8s"}},
        "RepositoryCreationTemplates": {"k8s/": {"AppliedFor": ["PULL_THROUGH_CACHE"]}},
        "Scanning": {"ScanType": "BASIC", "Rules": [{"Frequency": "SCAN_ON_PUSH", "RepositoryFilters": ["*"]}]},
        "PullTimeUpdateExclusions": [CI],
    }
    assert registry.create(properties).ok
    assert registry.update(properties).ok  # a resend: nothing changes
    assert registry.delete().ok
    assert (templates(ecr), exclusions(ecr), scanning(ecr)) == ({}, [], {"scanType": "BASIC", "rules": []})
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []


def test_throttling_never_fails_a_request_while_time_remains(registry, ecr):
    from tests.support import ecr_fidelity

    properties = {"PullThroughCacheRules": {f"k8s-{i}": {"Upstream": "k8s"} for i in range(12)},
                  "RepositoryCreationTemplates": {f"t{i}/": {"AppliedFor": ["REPLICATION"]} for i in range(6)},
                  "PullTimeUpdateExclusions": [f"arn:aws:iam::123456789012:role/r{i}" for i in range(6)]}
    with ecr_fidelity.rate_limit(rate=10, burst=2) as limiter:
        created = registry.create(properties)
        deleted = registry.delete()
    assert created.ok and deleted.ok, (created.reason, deleted.reason)
    assert limiter.refused.get("create_pull_through_cache_rule", 0) > 0  # ECR did throttle
    assert (templates(ecr), exclusions(ecr)) == ({}, [])


def test_the_rollback_of_an_update_refused_for_bad_input_removes_nothing_of_others(registry, ecr):
    audit = "arn:aws:iam::123456789012:role/audit"
    ecr.register_pull_time_update_exclusion(principalArn=audit)
    assert registry.create({"PullTimeUpdateExclusions": [CI]}).ok
    bad = registry.update({"PullTimeUpdateExclusions": [CI, audit], "Scanning": {"ScanType": "FAST"}})
    assert not bad.ok and bad.reason.startswith("Invalid properties: Scanning.ScanType: must be one of BASIC, ENHANCED")
    assert registry.rollback().ok
    assert exclusions(ecr) == [audit, CI]


def test_an_sdk_without_a_registry_operation_is_named(registry, ecr, monkeypatch):
    """A Lambda runtime whose botocore predates ListPullTimeUpdateExclusions: the provider's client is
    built from an ECR model without it (moto's own model is left alone)."""
    import boto3
    import botocore
    import botocore.session

    from ecr_repos.registry import executor

    session = botocore.session.Session()
    loader = session.get_component("data_loader")
    original = loader.load_service_model

    def older(service_name, type_name, api_version=None):
        model = original(service_name, type_name, api_version)
        if service_name == "ecr" and type_name == "service-2":
            model = {**model, "operations": {k: v for k, v in model["operations"].items()
                                             if k != "ListPullTimeUpdateExclusions"}}
        return model

    loader.load_service_model = older
    monkeypatch.setattr(executor, "make_client",
                        lambda region=None: boto3.session.Session(botocore_session=session).client("ecr", region))
    response = registry.create({"PullTimeUpdateExclusions": [CI]})
    assert not response.ok
    assert response.reason == (f"The Lambda's botocore {botocore.__version__} has no ECR list_pull_time_update_exclusions;"
                               " nothing more was changed. Build the provider zip with scripts/package.py --with-boto3, "
                               "or use a newer Python runtime.")
