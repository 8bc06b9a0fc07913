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
from hypothesis import settings  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.support import ecr_fidelity, registry_fidelity  # noqa: E402

# The tests' moto follows ECR's rules where moto 5.2 lags AWS (tests/support/ecr_fidelity.py).
ecr_fidelity.install()
# ... and serves the registry APIs it lacks (tests/support/registry_fidelity.py).
registry_fidelity.install()

# `make test` (and CI) is deterministic: the same examples every run, so a red build is reproducible and
# never a roll of the dice. `HYPOTHESIS_PROFILE=fuzz make test` searches afresh, ten times as long.
settings.register_profile("default", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def aws():
    """moto's in-process AWS for one test."""
    with mock_aws():
        yield


@pytest.fixture
def ecr(aws):
    return boto3.client("ecr", region_name="us-east-1")


@pytest.fixture(scope="session")
def old_sdk(tmp_path_factory):
    """A folder holding boto3 1.34 and its botocore (tests/support/old_sdk.py), installed once per session."""
    from tests.support import old_sdk as old

    return old.install(tmp_path_factory.mktemp("old-sdk"))
