"""Custom::EcrRegistry's PullThroughCacheRules through the Lambda entry point: created, changed in place
(credential, role) or made anew (anything else), owned by declaration, and their GetAtt attributes."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.support.registry_stack import RegistryResource, cache_rules, policy_sids

ROLE = "arn:aws:iam::123456789012:role/ecr-upstream"


@pytest.fixture
def registry(aws, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    return RegistryResource()


@pytest.fixture
def secret(aws):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    return lambda name: sm.create_secret(Name=f"ecr-pullthroughcache/{name}", SecretString="{}")["ARN"]


def test_rules_are_created_with_implied_urls_and_attributes(registry, ecr, secret):
    hub = secret("docker-hub")
    response = registry.create({"PullThroughCacheRules": {
        "docker-hub": {"Upstream": "docker-hub", "CredentialArn": hub},
        "ecr-public": {"Upstream": "ecr-public"},
        "mirror": {"Upstream": "ecr", "UpstreamUrl": "999999999999.dkr.ecr.eu-west-1.amazonaws.com",
                   "CustomRoleArn": ROLE, "UpstreamRepositoryPrefix": "team"},
    }})
    assert response.ok, response.reason
    rules = cache_rules(ecr)
    assert rules["docker-hub"]["upstreamRegistryUrl"] == "registry-1.docker.io"
    assert rules["docker-hub"]["credentialArn"] == hub
    assert rules["ecr-public"]["upstreamRegistryUrl"] == "public.ecr.aws"
    assert (rules["mirror"]["customRoleArn"], rules["mirror"]["upstreamRepositoryPrefix"]) == (ROLE, "team")
    host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert response.data["PullThroughCache.docker-hub"] == f"{host}/docker-hub"
    assert response.data["PullThroughCache.mirror"] == f"{host}/mirror"
    assert response.data["PullThroughCacheComplete"] == "true"


def test_credential_changes_in_place_and_upstream_changes_make_the_rule_anew(registry, ecr, secret):
    first, second = secret("one"), secret("two")
    assert registry.create({"PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": first}}}).ok
    created = cache_rules(ecr)["hub"]["createdAt"]
    assert registry.update({"PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": second}}}).ok
    assert cache_rules(ecr)["hub"]["credentialArn"] == second
    assert cache_rules(ecr)["hub"]["createdAt"] == created  # UpdatePullThroughCacheRule, not a new rule
    assert registry.update({"PullThroughCacheRules": {"hub": {"Upstream": "quay"}}}).ok
    assert cache_rules(ecr)["hub"]["upstreamRegistry"] == "quay" and "credentialArn" not in cache_rules(ecr)["hub"]
    assert registry.delete().ok
    assert cache_rules(ecr) == {}


def test_a_foreign_prefix_is_refused_and_kept_by_the_rollback_and_delete(registry, ecr):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io",
                                       upstreamRegistry="quay")
    time.sleep(2.1)  # ECR dates it before this request (X-Amz-Date: whole seconds) beyond the allowed skew
    assert registry.create({"PullThroughCacheRules": {"k8s": {"Upstream": "k8s"}}}).ok
    refused = registry.update({"PullThroughCacheRules": {"k8s": {"Upstream": "k8s"},
                                                         "quay": {"Upstream": "quay"}}})
    assert not refused.ok
    assert refused.reason.startswith("PullThroughCacheRules: pull-through cache rule 'quay' already exists and is not "
                                     "this resource's; nothing was changed.")
    assert registry.rollback().ok  # CloudFormation's rollback Update names 'quay' as old: it is not removed
    assert sorted(cache_rules(ecr)) == ["k8s", "quay"]
    assert registry.delete().ok
    assert sorted(cache_rules(ecr)) == ["quay"]


def test_ecrs_errors_reach_the_reason(registry, ecr):
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/missing-AbCdEf"
    response = registry.create({"PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": missing}}})
    assert not response.ok
    assert response.reason.startswith("ECR CreatePullThroughCacheRule for pull-through cache rule 'hub' failed: "
                                      "SecretNotFoundException")
    assert response.reason.endswith("Create the secret (named ecr-pullthroughcache/...) or fix CredentialArn.")


@pytest.mark.parametrize("rules, reason", [
    ({"hub": {"Upstream": "docker-hub"}},
     "Invalid properties: PullThroughCacheRules.hub.CredentialArn: is required for upstream docker-hub: add the ARN "
     "of a Secrets Manager secret named ecr-pullthroughcache/..."),
    ({"acr": {"Upstream": "azure-container-registry",
              "CredentialArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/acr-AbCdEf"}},
     "Invalid properties: PullThroughCacheRules.acr.UpstreamUrl: is required for upstream azure-container-registry; "
     "add it, like <name>.azurecr.io"),
    ({"up": {"Upstream": "ecr", "UpstreamUrl": "999999999999.dkr.ecr.eu-west-1.amazonaws.com"}},
     "Invalid properties: PullThroughCacheRules.up.CustomRoleArn: is required for upstream ecr: add the role ECR "
     "assumes to pull from the upstream registry"),
    ({"q": {"Upstream": "quay"}},
     "Invalid properties: PullThroughCacheRules.q: a pull-through cache prefix must be ROOT or 2-30 characters of the "
     "repository-name grammar (lowercase letters and digits separated by '.', '_', '-' or '/') (got 1 characters)"),
    ({"Quay": {"Upstream": "quay"}},
     "Invalid properties: PullThroughCacheRules.Quay: a pull-through cache prefix must be ROOT or 2-30 characters of "
     "the repository-name grammar (lowercase letters and digits separated by '.', '_', '-' or '/'), got 'Quay'"),
    ({"quay": {"Upstream": "quay.io"}},
     "Invalid properties: PullThroughCacheRules.quay.Upstream: must be one of docker-hub, ecr-public, quay, k8s, "
     "github-container-registry, gitlab-container-registry, azure-container-registry, ecr, chainguard, got 'quay.io'"),
    ({"quay": {"Upstream": "quay", "CredentialArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf"}},
     "Invalid properties: PullThroughCacheRules.quay.CredentialArn: must be the ARN of a Secrets Manager secret whose "
     "name starts with ecr-pullthroughcache/, got 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf'"),
    ({"hub": {"Upstream": "docker-hub",
              "CredentialArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf"}},
     "Invalid properties: PullThroughCacheRules.hub.CredentialArn: is a secret of eu-west-1:123456789012; ECR reads "
     "only secrets of this account and region (us-east-1:123456789012): create it here"),
])
def test_bad_rules_fail_before_any_write(registry, ecr, rules, reason):
    response = registry.create({"PullThroughCacheRules": rules})
    assert (response.status, response.reason) == ("FAILED", reason)
    assert cache_rules(ecr) == {}


def test_attributes_stay_within_the_response_limit(registry, ecr):
    rules = {f"cache-{i:02d}-{'x' * 20}": {"Upstream": "k8s"} for i in range(50)}
    response = registry.create({"PullThroughCacheRules": rules})
    assert response.ok, response.reason
    assert response.size <= 4096
    assert response.data["PullThroughCacheComplete"] == "false"
    assert len(cache_rules(ecr)) == 50


def test_a_create_failing_midway_is_cleaned_up_by_its_delete(registry, ecr, secret):
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/missing-AbCdEf"
    response = registry.create({
        "ReplicationSourceAccountIds": ["111111111111"],
        "PullThroughCacheRules": {"k8s": {"Upstream": "k8s"},
                                  "zz-hub": {"Upstream": "docker-hub", "CredentialArn": missing}}})
    assert not response.ok and "SecretNotFoundException" in response.reason
    assert not response.physical_id.endswith(":unwritten")  # writes began: its Delete must find them
    assert sorted(cache_rules(ecr)) == ["k8s"]
    assert registry.delete().ok  # CloudFormation's Delete after the failed Create
    assert cache_rules(ecr) == {}
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []
    assert policy_sids(ecr) == {}


def test_the_same_create_delivered_twice_gives_the_same_id_and_state(registry, ecr, secret):
    properties = {"PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": secret("hub")}},
                  "RepositoryCreationTemplates": {"hub/": {"AppliedFor": ["PULL_THROUGH_CACHE"]}},
                  "PolicyStatements": [{"Sid": "Cache", "Principal": "*", "Action": "ecr:BatchImportUpstreamImage"}]}
    event = registry.event("Create", properties)
    first, again = registry.send(event), registry.send(event)
    assert first.ok and again.ok, again.reason
    assert first.physical_id == again.physical_id
    assert sorted(cache_rules(ecr)) == ["hub"] and len(policy_sids(ecr)) == 1
    registry.physical_id, registry.properties = first.physical_id, properties
    assert registry.delete().ok and registry.delete().ok
    assert cache_rules(ecr) == {} and policy_sids(ecr) == {}
