"""templates/registry-example.yaml's Custom::EcrRegistry, resolved as CloudFormation would, through the Lambda."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from ecr_repos.cli.resolve import context_for, resolve, unresolved_paths
from ecr_repos.cli.template import load
from tests.support.registry_stack import RegistryResource, cache_rules, exclusions, policy_sids, templates

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_deploys_and_its_outputs_resolve(aws, ecr, monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    template = load(ROOT / "templates" / "registry-example.yaml")
    ctx = context_for(template.data, {}, region="us-east-1", account="123456789012", stack_name="registry")
    properties = resolve(template.resources["Registry"]["Properties"], ctx)
    properties.pop("ServiceToken")  # an ImportValue: the simulator sends its own
    assert unresolved_paths(properties) == []
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="ecr-pullthroughcache/docker-hub", SecretString="{}")
    secret = boto3.client("secretsmanager", region_name="us-east-1").describe_secret(
        SecretId="ecr-pullthroughcache/docker-hub")["ARN"]
    properties["PullThroughCacheRules"]["docker-hub"]["CredentialArn"] = secret  # the real ARN's suffix
    registry = RegistryResource(stack_name="registry")
    response = registry.create(properties)
    assert response.ok, response.reason
    for output in template.data["Outputs"].values():
        logical, attribute = output["Value"]["Fn::GetAtt"] if isinstance(output["Value"]["Fn::GetAtt"], list) \
            else output["Value"]["Fn::GetAtt"].split(".", 1)  # the short form splits at the first dot
        assert logical == "Registry" and attribute in response.data, attribute
    assert sorted(cache_rules(ecr)) == ["docker-hub", "ecr-public"]
    assert sorted(templates(ecr)) == ["app/", "docker-hub/"]
    assert exclusions(ecr) == ["arn:aws:iam::123456789012:role/ci"]
    assert len(policy_sids(ecr)) == 2
    assert registry.delete().ok
    assert (cache_rules(ecr), templates(ecr), exclusions(ecr), policy_sids(ecr)) == ({}, {}, [], {})


@pytest.mark.parametrize("name", ["registry-example.yaml"])
def test_the_example_does_not_turn_adopt_existing_on(name):
    live = [line for line in (ROOT / "templates" / name).read_text().splitlines()
            if "AdoptExisting" in line and not line.lstrip().startswith("#")]
    assert live == []
