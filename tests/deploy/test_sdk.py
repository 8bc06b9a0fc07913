"""The oldest SDK the provider works with (ecr_repos.sdk): pyproject.toml says the same, the version
comparison, and the fact itself, from botocore's own wheels (the last one without, the first with)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from ecr_repos import sdk

from .conftest import ROOT

# Every parameter the executor (repos/executor.py) sends, by operation, and the enum values it uses.
SENT = {
    "CreateRepository": ["repositoryName", "imageTagMutability", "imageTagMutabilityExclusionFilters",
                         "imageScanningConfiguration", "encryptionConfiguration", "tags"],
    "PutImageTagMutability": ["repositoryName", "imageTagMutability", "imageTagMutabilityExclusionFilters"],
    "PutImageScanningConfiguration": ["repositoryName", "imageScanningConfiguration"],
    "PutLifecyclePolicy": ["repositoryName", "lifecyclePolicyText"],
    "SetRepositoryPolicy": ["repositoryName", "policyText"],
    "DeleteRepositoryPolicy": ["repositoryName"],
    "TagResource": ["resourceArn", "tags"],
    "UntagResource": ["resourceArn", "tagKeys"],
    "DeleteRepository": ["repositoryName", "force"],
    "DescribeRepositories": ["repositoryNames", "maxResults", "nextToken"],
    "ListTagsForResource": ["resourceArn"],
    "GetLifecyclePolicy": ["repositoryName"],
    "GetRepositoryPolicy": ["repositoryName"],
    "ListImages": ["repositoryName", "maxResults"],
}
ENUMS = {"ImageTagMutability": {"MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"},
         "ImageTagMutabilityExclusionFilterType": {"WILDCARD"}}


def floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return {m.group(1): m.group(2) for d in deps if (m := re.fullmatch(r"(boto3|botocore)>=([\d.]+)", d))}


def test_pyproject_floors_are_the_minimum_the_provider_names():
    assert floors() == {"boto3": sdk.MIN_BOTO3, "botocore": sdk.MIN_BOTOCORE}


@pytest.mark.parametrize("version,old", [
    ("1.34.162", True), ("1.38.46", True), ("1.39.10", True), ("1.39.11", False), ("1.39.12", False),
    ("1.40.0", False), ("1.44.18", False), ("2.0.0", False), ("1.39.11rc1", False), ("1.39.10.dev0", True),
])
def test_too_old(version, old):
    assert sdk.too_old(version) is old
    message = sdk.check_botocore(version)
    if old:
        assert message == (f"botocore {version} is older than 1.39.11, the first whose ECR model has every parameter "
                           "ecr-repos sends (imageTagMutabilityExclusionFilters): upgrade it with `pip install -U boto3`")
    else:
        assert message is None


def missing(model: dict) -> list[str]:
    """What of SENT and ENUMS an ECR service model lacks."""
    gaps = []
    for operation, members in SENT.items():
        shape = model["operations"].get(operation, {}).get("input", {}).get("shape")
        have = model["shapes"].get(shape, {}).get("members", {}) if shape else {}
        gaps += [f"{operation}.{m}" for m in members if m not in have]
    for enum, values in ENUMS.items():
        gaps += [f"{enum}={v}" for v in sorted(values - set(model["shapes"].get(enum, {}).get("enum", [])))]
    return gaps


def ecr_model(version: str, folder: Path) -> dict:
    """The newest ECR model of botocore ``version``'s wheel (pip download: the package registry, or its cache)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--only-binary=:all:", "-d", str(folder), f"botocore=={version}"],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = folder.glob(f"botocore-{version}-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        name = max(n for n in zf.namelist() if re.fullmatch(r"botocore/data/ecr/[^/]+/service-2\.json(\.gz)?", n))
        raw = zf.read(name)
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)


def test_the_installed_botocore_has_every_parameter_the_executor_sends():
    from botocore.loaders import create_loader

    assert missing(create_loader().load_service_model("ecr", "service-2")) == []


@pytest.mark.slow
def test_the_minimum_is_the_first_botocore_with_every_parameter(tmp_path):
    major, minor, patch = (int(p) for p in sdk.MIN_BOTOCORE.split("."))
    before = f"{major}.{minor}.{patch - 1}"  # the release before it (1.39.10 and 1.39.11 were consecutive)
    assert missing(ecr_model(before, tmp_path / "before")) == [
        "CreateRepository.imageTagMutabilityExclusionFilters", "PutImageTagMutability.imageTagMutabilityExclusionFilters",
        "ImageTagMutability=IMMUTABLE_WITH_EXCLUSION", "ImageTagMutability=MUTABLE_WITH_EXCLUSION",
        "ImageTagMutabilityExclusionFilterType=WILDCARD",
    ]
    assert missing(ecr_model(sdk.MIN_BOTOCORE, tmp_path / "first")) == []
