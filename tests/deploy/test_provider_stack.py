"""templates/provider.yaml deployed on moto's CloudFormation with the real zip in moto's S3."""

from __future__ import annotations

import ast
import json

import boto3
from moto import mock_aws

from .conftest import ROOT

REGION = "us-east-1"


def test_provider_template_deploys_function_role_log_group_and_export(host_zip):
    with mock_aws():
        # given the provider zip in an S3 bucket
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="artifacts")
        s3.put_object(Bucket="artifacts", Key="ecr-repos/provider-x86_64.zip", Body=host_zip.read_bytes())
        cfn = boto3.client("cloudformation", region_name=REGION)

        # when the provider stack is created with only the code location and the architecture
        cfn.create_stack(
            StackName="ecr-repos-provider",
            TemplateBody=(ROOT / "templates" / "provider.yaml").read_text(),
            Parameters=[
                {"ParameterKey": "CodeS3Bucket", "ParameterValue": "artifacts"},
                {"ParameterKey": "CodeS3Key", "ParameterValue": "ecr-repos/provider-x86_64.zip"},
                {"ParameterKey": "Architecture", "ParameterValue": "x86_64"},
            ],
            Capabilities=["CAPABILITY_IAM"],
        )

        # then the stack is complete
        stack = cfn.describe_stacks(StackName="ecr-repos-provider")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        # (moto 5.2's CloudFormation skips AWS::IAM::RolePolicy and AWS::Lambda::EventInvokeConfig,
        # listing them without ids: InvokeSelf's grant is evaluated in test_iam_policy.py, both are
        # checked by cfn-lint)
        listed = cfn.describe_stack_resources(StackName="ecr-repos-provider")["StackResources"]
        resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed if "LogicalResourceId" in r}
        assert set(resources) == {"LogGroup", "Role", "Function"}
        assert len(listed) == 5

        # and the function runs the provider on Python 3.13 with the defaults of the template
        function = boto3.client("lambda", region_name=REGION).get_function(FunctionName=resources["Function"])
        config = function["Configuration"]
        assert (config["Runtime"], config["Handler"], config["Architectures"]) == (
            "python3.13", "ecr_repos.handler.handler", ["x86_64"])
        assert (config["Timeout"], config["MemorySize"]) == (900, 512)
        # (moto keeps a Number parameter's type; Lambda itself stores strings)
        assert {k: str(v) for k, v in config["Environment"]["Variables"].items()} == {"ECR_REPOS_CONCURRENCY": "32"}
        assert config["CodeSize"] == host_zip.stat().st_size

        # and it runs as the stack's role, whose inline policy grants ECR on this registry only
        iam = boto3.client("iam", region_name=REGION)
        role_name = config["Role"].rsplit("/", 1)[1]
        assert iam.get_role(RoleName=role_name)["Role"]["Arn"] == config["Role"]
        policy = iam.get_role_policy(RoleName=role_name, PolicyName="ecr-repos-provider")["PolicyDocument"]
        if isinstance(policy, str):  # moto 5.2 hands back the stored document as text (JSON or repr)
            policy = json.loads(policy) if policy.startswith('{"') else ast.literal_eval(policy)
        ecr_statement = next(s for s in policy["Statement"] if s["Sid"] == "ManageRepositories")
        assert ecr_statement["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/*"

        # and its log group keeps logs for the default 30 days
        groups = boto3.client("logs", region_name=REGION).describe_log_groups(
            logGroupNamePrefix=resources["LogGroup"])["logGroups"]
        assert [g.get("retentionInDays") for g in groups] == [30]

        # and the function ARN is exported as the ServiceToken
        exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
        assert exports == {"ecr-repos-provider-ServiceToken": config["FunctionArn"]}
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert outputs["ServiceToken"] == config["FunctionArn"]
