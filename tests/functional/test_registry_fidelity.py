"""tests/support/registry_fidelity.py: moto answers the registry APIs as ECR does (codes and messages)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "*"},
                                                  "Action": ["ecr:BatchGetImage"], "Resource": "*"}]}


def code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


def test_the_policy_scope_decides_the_actions(ecr):
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    ecr.put_registry_policy(policyText=json.dumps(POLICY))  # V2: every ECR action
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    assert code(ecr.put_registry_policy, policyText=json.dumps(POLICY)) == "InvalidParameterException"
    assert code(ecr.put_account_setting, name="REGISTRY_POLICY_SCOPE", value="V3") == "InvalidParameterException"


def test_replication_takes_25_rules_and_not_the_registry_itself(ecr):
    rule = {"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}]}
    ecr.put_replication_configuration(replicationConfiguration={"rules": [rule] * 25})
    assert code(ecr.put_replication_configuration, replicationConfiguration={"rules": [rule] * 26}) in (
        "ValidationException", "ParamValidation")
    home = {"destinations": [{"region": "us-east-1", "registryId": "123456789012"}]}
    assert code(ecr.put_replication_configuration,
                replicationConfiguration={"rules": [home]}) == "InvalidParameterException"


def test_pull_through_cache_rules(ecr):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io",
                                       upstreamRegistry="quay")
    assert code(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io",
                upstreamRegistry="quay") == "PullThroughCacheRuleAlreadyExistsException"
    assert code(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="hub", upstreamRegistryUrl="x",
                upstreamRegistry="docker-hub") == "InvalidParameterException"  # a credential is needed
    assert code(ecr.delete_pull_through_cache_rule, ecrRepositoryPrefix="nope") == "PullThroughCacheRuleNotFoundException"
    for i in range(49):
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=f"k8s{i:02d}", upstreamRegistryUrl="registry.k8s.io",
                                           upstreamRegistry="k8s")
    assert code(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="one-more", upstreamRegistryUrl="quay.io",
                upstreamRegistry="quay") == "LimitExceededException"


def test_creation_templates_and_exclusions(ecr):
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"])
    assert code(ecr.create_repository_creation_template, prefix="ROOT",
                appliedFor=["REPLICATION"]) == "TemplateAlreadyExistsException"
    assert code(ecr.create_repository_creation_template, prefix="bad", appliedFor=["REPLICATION"],
                lifecyclePolicy=json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged",
                "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]})
                ) == "InvalidParameterException"
    assert code(ecr.delete_repository_creation_template, prefix="nope") == "TemplateNotFoundException"
    arn = "arn:aws:iam::123456789012:role/ci"
    ecr.register_pull_time_update_exclusion(principalArn=arn)
    assert code(ecr.register_pull_time_update_exclusion, principalArn=arn) == "ExclusionAlreadyExistsException"
    ecr.deregister_pull_time_update_exclusion(principalArn=arn)
    assert code(ecr.deregister_pull_time_update_exclusion, principalArn=arn) == "ExclusionNotFoundException"


def test_basic_scanning_takes_no_continuous_scan(ecr):
    rule = {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
    assert code(ecr.put_registry_scanning_configuration, scanType="BASIC", rules=[rule]) == "InvalidParameterException"
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[rule])
