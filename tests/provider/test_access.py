"""Unit tests of provider.access: least-privilege repository policies."""

from __future__ import annotations

import json

import pytest

from provider import access


def test_no_accounts_no_policy():
    assert access.build_policy("aws", [], []) is None


def test_pull_and_push_statements():
    policy = access.build_policy("aws", pull=["222222222222", "111111111111"], push=["333333333333"])
    pull, push = policy["Statement"]
    assert pull["Principal"]["AWS"] == [
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
        "arn:aws:iam::333333333333:root",
    ]
    assert push["Principal"]["AWS"] == ["arn:aws:iam::333333333333:root"]
    assert set(push["Action"]) == {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"}
    granted = set(pull["Action"]) | set(push["Action"])
    for forbidden in ("ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"):
        assert forbidden not in granted
    assert all("Resource" not in s for s in policy["Statement"])


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_partition_aware_principals(partition):
    policy = access.build_policy(partition, pull=["111111111111"], push=[])
    assert policy["Statement"][0]["Principal"]["AWS"] == [f"arn:{partition}:iam::111111111111:root"]


def test_canonical_blind_to_order_and_single_string():
    text = access.dump(access.build_policy("aws", pull=["111111111111"], push=[]))
    doc = json.loads(text)
    doc["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::111111111111:root"
    doc["Statement"][0]["Action"].reverse()
    assert access.canonical(json.dumps(doc)) == access.canonical(text)
    other = access.dump(access.build_policy("aws", pull=["111111111112"], push=[]))
    assert access.canonical(other) != access.canonical(text)
