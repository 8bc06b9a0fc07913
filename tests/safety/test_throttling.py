"""ECR throttles at a real rate (a token bucket per API, tests/support/ecr_fidelity.py): large
requests still succeed, because the executor paces each operation at the rate ECR allows instead of
spending botocore's retry quota."""

from __future__ import annotations

from tests.support import ecr_fidelity
from tests.support.cfn import Resource
from tests.support.registry import snapshot

from .props import repos


def test_a_create_far_above_the_rate_succeeds_and_writes_each_repository_once(ecr):
    names = [f"rated/r{i:03d}" for i in range(120)]
    props = repos(*names, Tags={"team": "platform"})
    with ecr_fidelity.rate_limit(40.0, burst=10) as ecr_rate:
        response = Resource(stack_name="rated").create(props)
    assert response.ok, response.reason
    assert sorted(snapshot(ecr)) == names
    # ECR refused calls (so the test really throttled), yet served each creation exactly once
    assert ecr_rate.refused.get("create_repository", 0) > 0
    assert ecr_rate.served["create_repository"] == len(names)
    # pacing, not hammering: far fewer refusals than calls served
    assert sum(ecr_rate.refused.values()) < sum(ecr_rate.served.values())


def test_an_update_and_a_delete_under_the_same_rate_succeed(ecr):
    names = [f"rated/u{i:03d}" for i in range(60)]
    resource = Resource(stack_name="rated-update")
    assert resource.create(repos(*names)).ok
    changed = {"EcrRepositories": {n: {"IsImmutable": False, "Tags": {"v": "2"}} for n in names}}
    with ecr_fidelity.rate_limit(30.0, burst=5) as ecr_rate:
        updated = resource.update(changed)
        deleted = resource.delete()
    assert updated.ok, updated.reason
    assert deleted.ok, deleted.reason
    assert sum(ecr_rate.refused.values()) > 0
    assert snapshot(ecr) == {}


def test_the_fixture_refuses_like_ecr_beyond_the_burst(ecr):
    import boto3
    import pytest
    from botocore.config import Config
    from botocore.exceptions import ClientError

    client = boto3.client("ecr", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    with ecr_fidelity.rate_limit(0.5, burst=3):
        for i in range(3):
            client.create_repository(repositoryName=f"bucket/r{i}")
        with pytest.raises(ClientError) as refused:
            client.create_repository(repositoryName="bucket/r3")
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    client.create_repository(repositoryName="bucket/r3")  # off again after the block
