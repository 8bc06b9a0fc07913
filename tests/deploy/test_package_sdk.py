"""The zip carries its own SDK: trimmed to ECR, as bytecode, and the one a Lambda imports over a runtime
whose boto3 is too old for the provider's parameters (boto3 1.34, installed as the runtime's)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

import boto3
import pytest

from ecr_repos import sdk
from tests.support import old_sdk as old

from .conftest import ROOT
from .test_package import SDK_MODULES, python313


def botocore_data(names: list[str]) -> set[str]:
    return {n[len("botocore/data/"):] for n in names if n.startswith("botocore/data/")}


@pytest.mark.slow
def test_zip_carries_the_tested_sdk_trimmed_to_ecr_and_lambda(host_zip):
    with zipfile.ZipFile(host_zip) as zf:
        names = zf.namelist()
        # the SDK the tests ran with, not older than the provider needs
        assert f"botocore-{metadata.version('botocore')}.dist-info/METADATA" in names
        assert f"boto3-{metadata.version('boto3')}.dist-info/METADATA" in names
        assert not sdk.too_old(metadata.version("botocore"))
        # of botocore's data: the tables every client reads, and the newest API version of ECR and of Lambda
        # (the continuation's Invoke of itself), without examples
        assert botocore_data(names) == {
            "_retry.json", "endpoints.json", "partitions.json", "sdk-default-configuration.json",
            "ecr/2015-09-21/service-2.json.gz", "ecr/2015-09-21/endpoint-rule-set-1.json.gz",
            "ecr/2015-09-21/paginators-1.json", "ecr/2015-09-21/waiters-2.json",
            "lambda/2015-03-31/service-2.json.gz", "lambda/2015-03-31/endpoint-rule-set-1.json.gz",
            "lambda/2015-03-31/paginators-1.json", "lambda/2015-03-31/waiters-2.json",
        }
        # boto3 without resource models or other services' customisations
        assert not [n for n in names if n.startswith(("boto3/data/", "boto3/s3/", "boto3/dynamodb/", "boto3/ec2/"))]
        assert "botocore/cacert.pem" in names  # TLS without certifi
        # no RECORD lists a file the zip lacks (those of the trimmed distributions are gone)
        for record in (n for n in names if n.endswith(".dist-info/RECORD")):
            listed = [row.split(",", 1)[0] for row in zf.read(record).decode().splitlines() if row]
            assert not [f for f in listed if f not in names and not f.startswith("..")], record
        assert "botocore-{}.dist-info/RECORD".format(metadata.version("botocore")) not in names
        if python313() is not None:
            # the SDK as bytecode only, where Python imports a module without source from
            sdk_files = [n for n in names if n.startswith(SDK_MODULES)]
            assert "botocore/client.pyc" in sdk_files and "six.pyc" in names
            assert not [n for n in sdk_files if n.endswith(".py") or "__pycache__" in n]
            assert all(int.from_bytes(zf.read(n)[4:8], "little") == 1 for n in sdk_files if n.endswith(".pyc"))


@pytest.fixture
def moto_endpoint():
    """A moto server on 127.0.0.1 with no repositories (in-process servers share moto's state: reset it)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()
    yield url
    server.stop()


def run_lambda(lambda_dir: Path, runtime: Path, endpoint: str, *, zip_first: bool = True) -> dict:
    """One Create through the unpacked zip on Python 3.13, ``sys.path`` as a Lambda's: the zip's folder
    (/var/task) before the runtime's (/var/runtime), or the other way round with ``zip_first=False``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint})
    dirs = [str(lambda_dir), str(runtime)] if zip_first else [str(runtime), str(lambda_dir)]
    result = subprocess.run(
        [python313(), "-I", "-S", str(Path(__file__).with_name("lambda_old_runtime_driver.py")), str(ROOT), *dirs],
        cwd=lambda_dir.parent, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def lambda_dir(host_zip, tmp_path) -> Path:
    if python313() is None:
        pytest.skip("Python 3.13 (the Lambda runtime's version) not found: python3.13 on PATH or under `pyenv root`")
    task = tmp_path / "task"
    with zipfile.ZipFile(host_zip) as zf:
        zf.extractall(task)
    return task


def exclusions(endpoint: str) -> dict[str, tuple[str, list[str]]]:
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint)
    return {r["repositoryName"]: (r["imageTagMutability"],
                                  [f["filter"] for f in r.get("imageTagMutabilityExclusionFilters", [])])
            for r in ecr.describe_repositories()["repositories"]}


@pytest.mark.slow
def test_over_an_old_runtime_sdk_the_zip_creates_repositories_with_tag_exclusions(lambda_dir, old_sdk, moto_endpoint):
    # given a runtime whose boto3 is 1.34, too old for the tag exclusion filters
    assert sdk.too_old(old.botocore_version(old_sdk))
    # when the Lambda, its zip first on the path, creates repositories with Mutable/ImmutableTagPatterns
    outcome = run_lambda(lambda_dir, old_sdk, moto_endpoint)
    # then boto3 and botocore came from the zip, and the Create succeeded with the exclusion filters
    assert outcome["botocore"] == [metadata.version("botocore"), 0]
    assert outcome["boto3"] == [metadata.version("boto3"), 0]
    status, reason, data = outcome["created"]
    assert (status, reason) == ("SUCCESS", "")
    assert data["Repos"] == "app/api,app/tools"
    assert exclusions(moto_endpoint) == {
        "app/api": ("IMMUTABLE_WITH_EXCLUSION", ["dev-*", "latest"]),
        "app/tools": ("MUTABLE_WITH_EXCLUSION", ["release-*"]),
    }


@pytest.mark.slow
def test_with_the_runtime_sdk_first_the_same_create_fails_before_reaching_ecr(lambda_dir, old_sdk, moto_endpoint):
    # the case the bundled SDK prevents (and proof that the test above can fail): the old botocore refuses the
    # parameter itself, so nothing reaches ECR
    outcome = run_lambda(lambda_dir, old_sdk, moto_endpoint, zip_first=False)
    assert outcome["botocore"] == [old.botocore_version(old_sdk), 0]
    status, reason, _ = outcome["created"]
    assert status == "FAILED"
    assert reason == (f"ECR CreateRepository on repository 'app/api' not sent: this Lambda's botocore "
                      f"{old.botocore_version(old_sdk)} predates parameters the provider sends (it needs "
                      f"{sdk.floor('Custom::EcrRepos')} or later). Deploy the zip of `make package`: it carries its own SDK.")
    assert exclusions(moto_endpoint) == {}


def package_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("ecr_repos_package", ROOT / "scripts" / "package.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree(root: Path, files: list[str]) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_trim_keeps_the_newest_version_of_the_listed_services_and_the_shared_tables(tmp_path):
    data = ["botocore/data/_retry.json", "botocore/data/endpoints.json", "botocore/data/partitions.json",
            "botocore/data/sdk-default-configuration.json"]
    tree(tmp_path, [*data,
                    "botocore/data/ecr/2015-09-21/service-2.json.gz", "botocore/data/ecr/2015-09-21/waiters-2.json",
                    "botocore/data/ecr/2015-09-21/paginators-1.json", "botocore/data/ecr/2015-09-21/examples-1.json",
                    "botocore/data/ecr/2015-09-21/endpoint-rule-set-1.json.gz",
                    "botocore/data/ecr/2014-01-01/service-2.json",  # an older API version
                    "botocore/data/s3/2006-03-01/service-2.json.gz", "botocore/client.py",
                    "botocore-1.44.0.dist-info/RECORD", "botocore-1.44.0.dist-info/METADATA",
                    "boto3-1.44.0.dist-info/RECORD", "boto3/session.py", "boto3/examples/s3.rst",
                    "boto3/data/s3/2006-03-01/resources-1.json", "boto3/s3/inject.py", "boto3/dynamodb/table.py",
                    "boto3/ec2/createtags.py", "urllib3/contrib/__init__.py", "urllib3/contrib/socks.py",
                    "urllib3/contrib/pyopenssl.py", "urllib3/contrib/emscripten/fetch.py",
                    "dateutil/zoneinfo/__init__.py", "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz"])
    package_module().trim_sdk(tmp_path, ("ecr",))  # a made-up tree of one service
    assert listing(tmp_path) == sorted([
        *data, "botocore/data/ecr/2015-09-21/endpoint-rule-set-1.json.gz",
        "botocore/data/ecr/2015-09-21/paginators-1.json", "botocore/data/ecr/2015-09-21/service-2.json.gz",
        "botocore/data/ecr/2015-09-21/waiters-2.json", "botocore/client.py", "botocore-1.44.0.dist-info/METADATA",
        "botocore-1.44.0.dist-info/RECORD", "boto3-1.44.0.dist-info/RECORD", "boto3/session.py", "boto3/examples/s3.rst", "urllib3/contrib/__init__.py", "dateutil/zoneinfo/__init__.py",
    ])


def test_trim_refuses_a_botocore_without_a_listed_service(tmp_path):
    package = package_module()
    tree(tmp_path, [f"botocore/data/{name}" for name in package.BOTOCORE_DATA_FILES]
         + ["botocore-1.44.0.dist-info/METADATA"])
    with pytest.raises(SystemExit) as failed:
        package.trim_sdk(tmp_path, ("ecr",))
    assert str(failed.value) == ("botocore 1.44.0 has no ecr in botocore/data: check SERVICE_MODELS and "
                                 "BOTOCORE_DATA_FILES in package.py")
