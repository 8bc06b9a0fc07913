"""templates/stackset.yaml's Custom::EcrRepos in 3 accounts x 2 regions of moto, through the simulator.

A service-managed StackSet deploys the same template, with the same parameters, into every target
account and region; each instance's provider answers for its own registry. The properties are read
from the template with the StackSet's parameters substituted, as CloudFormation would.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.cfn import Resource

from ecr_repos.cli.resolve import context_for, known_after_deploy_paths, resolve, unresolved_paths
from ecr_repos.cli.template import load

from .conftest import ROOT

TARGET_ACCOUNTS = ["210000000001", "210000000002", "210000000003"]
REGIONS = ["us-east-1", "eu-west-1"]
CENTRAL_PUSH, CENTRAL_PULL = "999999999999", "888888888888"
PARAMETERS = {"CentralPushAccountIds": CENTRAL_PUSH, "CentralPullAccountIds": CENTRAL_PULL}


def instance_properties(account: str, region: str, stack: str, parameters: dict[str, str]) -> dict[str, Any]:
    """The properties CloudFormation sends: the template resolved (parameters, Conditions, Fn::If,
    AWS::NoValue) by the CLI's resolver, the provider function's ARN put in for its Fn::GetAtt."""
    template = load(ROOT / "templates" / "stackset.yaml")
    repos = template.resources["Repos"]
    assert repos["Type"] == "Custom::EcrRepos"
    ctx = context_for(template.data, parameters, region=region, account=account, stack_name=stack)
    properties = resolve(repos["Properties"], ctx)
    # the function's ARN is the one value known only after deploy (the resolver marks it so)
    assert known_after_deploy_paths(properties) == [("ServiceToken",)]
    properties["ServiceToken"] = f"arn:aws:lambda:{region}:{account}:function:{stack}-ProviderFunction-1A2B3C"
    assert unresolved_paths(properties) == []
    return properties


def policy(ecr: Any, name: str) -> str | None:
    try:
        return ecr.get_repository_policy(repositoryName=name)["policyText"]
    except ecr.exceptions.RepositoryPolicyNotFoundException:
        return None


def principals(policy_text: str | None) -> dict[str, set[str]]:
    """Each statement's principal accounts -> the actions granted to them."""
    granted: dict[str, set[str]] = {}
    for statement in json.loads(policy_text)["Statement"] if policy_text else []:
        aws = statement["Principal"]["AWS"]
        for arn in [aws] if isinstance(aws, str) else aws:
            actions = statement["Action"]
            granted.setdefault(arn.split(":")[4], set()).update([actions] if isinstance(actions, str) else actions)
    return granted


def create_instances(monkeypatch, parameters: dict[str, str]) -> dict[tuple[str, str], tuple[Resource, Any]]:
    """Every stack instance created: {(account, region): (Resource, response)}."""
    instances = {}
    for account in TARGET_ACCOUNTS:
        monkeypatch.setenv("MOTO_ACCOUNT_ID", account)  # moto keeps one backend per account
        for region in REGIONS:
            stack = "StackSet-ecr-repos-0a1b2c3d"
            resource = Resource(stack_name=stack, account=account, region=region)
            response = resource.create(instance_properties(account, region, stack, parameters))
            instances[(account, region)] = (resource, response)
    return instances


@pytest.fixture
def stack_instances(monkeypatch):
    with mock_aws():
        yield create_instances(monkeypatch, PARAMETERS)


def registry(account: str, region: str, monkeypatch) -> dict[str, dict[str, Any]]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    ecr = boto3.client("ecr", region_name=region)
    found = {}
    for repo in ecr.describe_repositories()["repositories"]:
        name = repo["repositoryName"]
        found[name] = {
            "registryId": repo["registryId"],
            "immutable": repo["imageTagMutability"] == "IMMUTABLE",
            "scanOnPush": repo["imageScanningConfiguration"]["scanOnPush"],
            "tags": {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]},
            "principals": principals(policy(ecr, name)),
            "lifecycle": json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]),
        }
    return found


def test_every_account_and_region_gets_its_own_registry_open_to_the_central_accounts(stack_instances, monkeypatch):
    for (account, region), (_, response) in stack_instances.items():
        # each instance answered SUCCESS with the attributes of its own registry
        assert response.status == "SUCCESS", response.reason
        assert {k: response.data[k] for k in ("AccountId", "Region", "Registry", "Repos")} == {
            "AccountId": account,
            "Region": region,
            "Registry": f"{account}.dkr.ecr.{region}.amazonaws.com",
            "Repos": "app/api,app/worker",
        }
        # and that registry holds exactly the template's repositories, with the parameters' settings
        repos = registry(account, region, monkeypatch)
        assert sorted(repos) == ["app/api", "app/worker"]
        for repo in repos.values():
            assert repo["registryId"] == account
            assert (repo["immutable"], repo["scanOnPush"]) == (True, True)
            assert {k: v for k, v in repo["tags"].items() if not k.startswith("ecr-repos:")} == {
                "team": "platform", "managed-by": "stackset"}
            # the central push account may push and pull, the central pull account only pull
            assert set(repo["principals"]) == {CENTRAL_PUSH, CENTRAL_PULL}
            assert "ecr:PutImage" in repo["principals"][CENTRAL_PUSH]
            assert "ecr:BatchGetImage" in repo["principals"][CENTRAL_PUSH] & repo["principals"][CENTRAL_PULL]
            assert not any(a.startswith(("ecr:Put", "ecr:Delete", "ecr:Set", "ecr:BatchDelete"))
                           for a in repo["principals"][CENTRAL_PULL])
            tagged = [r["selection"] for r in repo["lifecycle"]["rules"] if r["selection"]["tagStatus"] == "tagged"]
            assert [(s.get("tagPatternList"), s["countNumber"]) for s in tagged] == [(["dev-*"], 14)]


def test_deleting_the_stack_instances_empties_every_registry(stack_instances, monkeypatch):
    for (account, region), (resource, _) in stack_instances.items():
        monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
        assert resource.delete().status == "SUCCESS"
    for account in TARGET_ACCOUNTS:
        for region in REGIONS:
            assert registry(account, region, monkeypatch) == {}


def test_without_central_accounts_every_instance_succeeds_with_no_repository_policy(monkeypatch):
    # given the StackSet's parameters left at their defaults: no push and no pull account (each an
    # empty CommaDelimitedList, which CloudFormation resolves to [""])
    with mock_aws():
        instances = create_instances(monkeypatch, {})
        for (account, region), (_, response) in instances.items():
            # then the template's Conditions left the account lists out, and every instance succeeded
            assert response.status == "SUCCESS", response.reason
            repos = registry(account, region, monkeypatch)
            assert sorted(repos) == ["app/api", "app/worker"]
            assert all(repo["principals"] == {} for repo in repos.values())


def test_the_empty_list_itself_would_fail_as_cloudformation_would_send_it():
    # given a template that passes an empty CommaDelimitedList straight to the property (no Condition)
    properties = instance_properties(TARGET_ACCOUNTS[0], REGIONS[0], "s", {})
    properties["EcrRepositories"]["app/api"]["AdditionalPushAccountIds"] = [""]  # Ref of "" is [""]
    with mock_aws():
        response = Resource(stack_name="s", account=TARGET_ACCOUNTS[0], region=REGIONS[0]).create(properties)
        assert boto3.client("ecr", region_name=REGIONS[0]).describe_repositories()["repositories"] == []
    # then the provider refuses it before any write, naming the field
    assert response.status == "FAILED"
    assert "EcrRepositories.app/api.AdditionalPushAccountIds[0]: must be a 12-digit AWS account id, got ''" in \
        response.reason
