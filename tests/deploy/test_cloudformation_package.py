"""templates/provider.yaml through the real `aws cloudformation package` (AWS CLI v1 from PyPI, a dev
dependency), against a moto server on 127.0.0.1: packaged on its own, and nested in a parent template
as docs/deploying.md shows; then the packaged parent is deployed on moto's CloudFormation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from ecr_repos.cli.template import load, loads

from .conftest import ROOT

REGION = "us-east-1"
AWS = Path(sys.executable).with_name("aws")

PARENT = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  CodeS3Bucket: {Type: String}
  CodeS3Key: {Type: String}
Resources:
  Provider:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./provider.yaml
      Parameters:
        CodeS3Bucket: !Ref CodeS3Bucket
        CodeS3Key: !Ref CodeS3Key
        Architecture: x86_64
"""


@pytest.fixture
def server():
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


def _package(endpoint: str, template: Path, out: Path) -> dict:
    if not AWS.exists():
        pytest.fail(f"the AWS CLI is a dev dependency (pyproject.toml) but {AWS} is missing: run `make test`")
    # Every client of the CLI (package uploads with its own S3 client) goes to the moto server, and
    # anything else would meet a dead proxy on loopback: nothing leaves the machine.
    # The endpoint is named "localhost", the one name moto resolves a nested stack's TemplateURL of
    # its own server from; path-style addressing keeps the bucket out of the host name.
    config = out.parent / "aws-config"
    config.write_text("[default]\ns3 =\n  addressing_style = path\n", encoding="utf-8")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
           "AWS_CONFIG_FILE": str(config), "AWS_ENDPOINT_URL": endpoint.replace("127.0.0.1", "localhost"), "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost", "PATH": str(AWS.parent), "HOME": str(out.parent)}
    done = subprocess.run(
        [str(AWS), "cloudformation", "package", "--template-file", str(template), "--s3-bucket", "artifacts",
         "--s3-prefix", "ecr-repos", "--output-template-file", str(out)],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return load(out).data


def _client(service: str, endpoint: str):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_package_leaves_the_provider_template_deployable_as_it_is(server, tmp_path):
    _client("s3", server).create_bucket(Bucket="artifacts")

    packaged = _package(server, ROOT / "templates" / "provider.yaml", tmp_path / "packaged.yaml")

    # the function's code is already an S3 location (the parameters): package keeps it
    original = load(ROOT / "templates" / "provider.yaml").data
    assert packaged["Resources"] == original["Resources"]
    assert packaged["Parameters"] == original["Parameters"]
    assert packaged["Outputs"] == original["Outputs"]


def test_package_uploads_the_nested_provider_and_the_parent_deploys(server, tmp_path, host_zip):
    s3 = _client("s3", server)
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="code/provider-x86_64.zip", Body=host_zip.read_bytes())
    shutil.copy(ROOT / "templates" / "provider.yaml", tmp_path / "provider.yaml")
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")

    packaged = _package(server, tmp_path / "parent.yaml", tmp_path / "packaged.yaml")

    # the nested template was uploaded (re-serialised by the CLI, the same template), and the parent points at it
    url = packaged["Resources"]["Provider"]["Properties"]["TemplateURL"]
    # (the CLI writes the URL of the S3 endpoint it used: here the moto server's)
    assert url.startswith(f"{server.replace('127.0.0.1', 'localhost')}/artifacts/ecr-repos/")
    assert url.endswith(".template")
    key = url.split("/artifacts/", 1)[1]
    uploaded = s3.get_object(Bucket="artifacts", Key=key)["Body"].read().decode()
    assert loads(uploaded).data == load(ROOT / "templates" / "provider.yaml").data

    # and the packaged parent deploys: the nested provider stack makes the function from the zip
    cfn = _client("cloudformation", server)
    cfn.create_stack(StackName="platform", TemplateBody=(tmp_path / "packaged.yaml").read_text(encoding="utf-8"),
                     Parameters=[{"ParameterKey": "CodeS3Bucket", "ParameterValue": "artifacts"},
                                 {"ParameterKey": "CodeS3Key", "ParameterValue": "code/provider-x86_64.zip"}],
                     Capabilities=["CAPABILITY_IAM"])
    stack = cfn.describe_stacks(StackName="platform")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    nested = cfn.describe_stack_resource(StackName="platform", LogicalResourceId="Provider")
    provider = cfn.describe_stacks(StackName=nested["StackResourceDetail"]["PhysicalResourceId"])["Stacks"][0]
    assert provider["StackStatus"] == "CREATE_COMPLETE"
    token = {o["OutputKey"]: o["OutputValue"] for o in provider["Outputs"]}["ServiceToken"]
    config = _client("lambda", server).get_function(FunctionName=token)["Configuration"]
    assert (config["Runtime"], config["Handler"], config["Architectures"]) == (
        "python3.13", "ecr_repos.handler.handler", ["x86_64"])
    assert config["CodeSize"] == host_zip.stat().st_size

