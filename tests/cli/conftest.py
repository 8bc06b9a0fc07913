"""A moto server on 127.0.0.1 for the CLI tests, reset before each test, and the plan scenario."""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest

from tests.support.cfn import Resource

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
ACCOUNT = "123456789012"  # moto's default account
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                  "digest": "sha256:" + "1" * 64}, "layers": []})


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_server, monkeypatch):
    """A clean moto server; boto3 (and so the Lambda handler) pointed at it for this test."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def ecr(endpoint):
    return boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint)


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process: exit code, stdout, stderr."""
    from ecr_repos.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def golden(name: str, text: str) -> str:
    """The golden file's text; with UPDATE_GOLDEN=1 the file is (re)written from ``text`` first."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def scenario(ecr):
    """The registry the plan of fixtures/plan.yaml reads (stack ``shop``, logical id ``Repos``):

    - app/api, app/same, app/old, app/full: created by shop/Repos (app/full holds an image);
    - app/adopted: adopted by shop/Repos earlier, no longer declared;
    - legacy/tool: exists, no owner (AdoptExisting: true takes it);
    - other/taken: owned by the stack ``other``.
    """
    ecr.create_repository(repositoryName="app/adopted")
    shop = Resource(stack_name="shop", logical_id="Repos")
    created = shop.create({"Tags": {"team": "platform", "stack": "shop"}, "AdoptExisting": True, "EcrRepositories": {
        "app/api": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
                    "AdditionalPullAccountIds": ["222222222222"], "Tags": {"service": "api", "tier": "web"}},
        "app/same": {"IsImmutable": False},
        "app/old": {},
        "app/full": {},
        "app/adopted": {},
    }})
    assert created.ok, created.reason
    other = Resource(stack_name="other", logical_id="Repos")
    assert other.create({"EcrRepositories": {"other/taken": {}}}).ok
    ecr.create_repository(repositoryName="legacy/tool")
    ecr.put_image(repositoryName="app/full", imageManifest=MANIFEST, imageTag="v1")
    return shop


@pytest.fixture
def deploy(endpoint, monkeypatch):
    """``deploy(stack_name, template_path, parameters)`` creates a real moto stack from the
    template and returns ``(stack_id, physical_id)``.

    Moto's CloudFormation sends the Custom::EcrRepos Create event to the ServiceToken's Lambda
    function, which it would run in Docker: the function's ``invoke`` (moto runs in this process)
    hands the event, its properties stringified as CloudFormation does, to the real provider
    through the simulator instead. Moto ignores the PhysicalResourceId of the response (it names
    custom resources itself), so the one the provider returned is put into moto's stack, where
    DescribeStackResource reads it, as CloudFormation would.
    """
    from moto.awslambda.models import LambdaFunction
    from moto.cloudformation import cloudformation_backends

    from ecr_repos.cli.cloudformation import invoke_one, stringify

    responses: list = []

    def invoke(self, body, *args, **kwargs):
        event = json.loads(body)
        event["ResourceProperties"] = stringify(event["ResourceProperties"])
        response = invoke_one(event)
        responses.append(response)
        stack = cloudformation_backends[ACCOUNT]["us-east-1"].get_stack(event["StackId"])
        resource = stack.get_custom_resource(event["LogicalResourceId"])
        resource.resource_name = response.physical_id
        if response.ok:
            resource.set_data(response.data)
            stack.verify_readiness()

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    role = iam.create_role(RoleName="ecr-repos-provider", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    pass\n")
    boto3.client("lambda", region_name="us-east-1", endpoint_url=endpoint).create_function(
        FunctionName="ecr-repos-provider", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()})
    cfn = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=endpoint)

    def create(stack_name: str, template: Path, parameters: dict[str, str] | None = None,
               logical_id: str = "Repos") -> tuple[str, str]:
        stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=template.read_text(encoding="utf-8"),
                                    Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                                for k, v in (parameters or {}).items()])["StackId"]
        deadline = time.monotonic() + 20
        while cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] != "CREATE_COMPLETE":
            assert not responses or responses[-1].ok, responses[-1].reason
            assert time.monotonic() < deadline, "the stack was not created"
            time.sleep(0.05)
        detail = cfn.describe_stack_resource(StackName=stack_id, LogicalResourceId=logical_id)["StackResourceDetail"]
        return stack_id, detail["PhysicalResourceId"]

    return create
