"""Unit tests of ecr_repos.repos.outputs: attributes and the 4096-byte response limit."""

from __future__ import annotations

import pytest

from ecr_repos.repos import outputs

ENVELOPE = {"Status": "SUCCESS", "PhysicalResourceId": "p" * 80, "StackId": "s" * 120, "RequestId": "r" * 36,
            "LogicalResourceId": "Repos", "Reason": "", "NoEcho": False}


@pytest.mark.parametrize(
    "region,host",
    [
        ("us-east-1", "123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        ("cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"),
    ],
)
def test_registry_host(region, host):
    assert outputs.registry_host("123456789012", region) == host


@pytest.mark.parametrize("region,partition", [("eu-west-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov")])
def test_partition(region, partition):
    assert outputs.partition_of(region) == partition


def test_small_data_is_untouched():
    data = outputs.attributes("123456789012", "us-east-1", ["b", "a"])
    assert data["Repos"] == "a,b" and data["RepoCount"] == "2" and data["ReposComplete"] == "true"
    assert outputs.fit(data, ENVELOPE) == data


def test_large_data_is_cut_at_whole_names():
    names = [f"team-{i:04d}/service-{i:04d}" for i in range(1000)]
    data = outputs.fit(outputs.attributes("123456789012", "us-east-1", names), ENVELOPE)
    assert outputs.body_size(ENVELOPE, data) <= outputs.RESPONSE_LIMIT
    kept = data["Repos"].split(",")
    assert kept == sorted(names)[: len(kept)] and 50 < len(kept) < 1000
    assert data["ReposComplete"] == "false" and data["RepoCount"] == "1000"
