"""Test environment: fake credentials and a region before anything imports boto3 or crhelper."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
    os.environ.pop(_var, None)

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402


@pytest.fixture
def aws():
    """moto's in-process AWS for one test."""
    with mock_aws():
        yield


@pytest.fixture
def ecr(aws):
    return boto3.client("ecr", region_name="us-east-1")
