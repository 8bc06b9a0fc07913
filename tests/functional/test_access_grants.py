"""Issue 11, outcome 1: every kind of grant, written through the Lambda entry point and read back
from moto, evaluated for callers inside and outside it (tests/support/policy_eval.py)."""

from __future__ import annotations

import json

import pytest

from ecr_repos.repos import access
from tests.support.cfn import Resource
from tests.support.policy_eval import Caller, actions_allowed, allowed, lambda_service, role
from tests.support.registry import snapshot

ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
OU = f"{ORG}/r-ab12/ou-ab12-11111111/"
PULL_ROLE = "arn:aws:iam::444444444444:role/deploy"
PUSH_ROLE = "arn:aws:iam::555555555555:role/ci/builder"

PULL = set(access.PULL_ACTIONS)
PUSH = set(access.PUSH_ACTIONS)
LAMBDA = set(access.LAMBDA_ACTIONS)
# Every action a grant must never give: deleting, policies, lifecycle, tags, settings.
FORBIDDEN = [
    "ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy",
    "ecr:GetRepositoryPolicy", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:StartLifecyclePolicyPreview",
    "ecr:TagResource", "ecr:UntagResource", "ecr:PutImageTagMutability", "ecr:PutImageScanningConfiguration",
    "ecr:CreateRepository", "ecr:ReplicateImage",
]
EVERY = sorted(PULL | PUSH) + FORBIDDEN


def _written(ecr, settings: dict) -> str:
    stack = Resource()
    response = stack.create({"EcrRepositories": {"app/api": settings}})
    assert response.ok, response.reason
    policy = snapshot(ecr)["app/api"]["policy"]
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    "settings, inside, outside, granted",
    [
        pytest.param({"AdditionalPullAccountIds": ["111111111111"]},
                     [role("111111111111")], [role("222222222222")], PULL, id="pull-account"),
        pytest.param({"AdditionalPushAccountIds": ["111111111111"]},
                     [role("111111111111")], [role("222222222222")], PULL | PUSH, id="push-account"),
        pytest.param({"PullPrincipalArns": [PULL_ROLE]},
                     [Caller(arn=PULL_ROLE)], [role("444444444444", "other"), role("111111111111", "deploy")], PULL,
                     id="pull-principal"),
        pytest.param({"PushPrincipalArns": [PUSH_ROLE]},
                     [Caller(arn=PUSH_ROLE)], [role("555555555555", "builder")], PULL | PUSH, id="push-principal"),
        pytest.param({"PullPrincipalArns": ["arn:aws:iam::666666666666:root"]},
                     [role("666666666666", "any")], [role("777777777777")], PULL, id="pull-account-root-arn"),
        pytest.param({"PullOrganizationIds": [ORG]},
                     [role("111111111111", org=ORG)], [role("111111111111", org=OTHER_ORG), role("111111111111")],
                     PULL, id="pull-organization"),
        pytest.param({"PushOrganizationIds": [ORG]},
                     [role("111111111111", org=ORG)], [role("111111111111", org=OTHER_ORG)], PULL | PUSH,
                     id="push-organization"),
        pytest.param({"PullOrganizationalUnitPaths": [OU]},
                     [role("1", paths=[OU]), role("1", paths=[f"{OU}ou-ab12-22222222/"])],
                     [role("1", paths=[f"{ORG}/r-ab12/ou-ab12-33333333/"]), role("1", paths=[f"{ORG}/r-ab12/"]),
                      role("1", org=ORG)],
                     PULL, id="pull-ou-and-below"),
        pytest.param({"PushOrganizationalUnitPaths": [OU]},
                     [role("1", paths=[f"{ORG}/r-ab12/ou-ab12-99999999/", f"{OU}ou-ab12-22222222/"])],
                     [role("1", paths=[f"{ORG}/r-ab12/ou-ab12-99999999/"])],
                     PULL | PUSH, id="push-ou"),
        pytest.param({"LambdaPullAccountIds": ["888888888888"]},
                     [lambda_service("arn:aws:lambda:us-east-1:888888888888:function:api"),
                      role("888888888888", "function-creator")],
                     [lambda_service("arn:aws:lambda:us-east-1:999999999999:function:api"),
                      lambda_service("arn:aws:lambda:eu-west-1:888888888888:function:api"),
                      lambda_service(None), Caller(service="ec2.amazonaws.com"), role("999999999999")],
                     LAMBDA, id="lambda-account"),
    ],
)
def test_each_grant_gives_exactly_its_actions_to_those_inside_and_nothing_to_others(
        ecr, settings, inside, outside, granted):
    policy = _written(ecr, settings)
    for caller in inside:
        assert actions_allowed(policy, caller, EVERY) == granted, caller
    for caller in outside:
        assert actions_allowed(policy, caller, EVERY) == set(), caller


def test_push_principal_also_pulls_and_pull_principal_cannot_push(ecr):
    policy = _written(ecr, {"PullPrincipalArns": [PULL_ROLE], "PushPrincipalArns": [PUSH_ROLE],
                            "PushOrganizationIds": [ORG], "PullOrganizationIds": [OTHER_ORG]})
    assert actions_allowed(policy, Caller(arn=PULL_ROLE), EVERY) == PULL
    assert actions_allowed(policy, Caller(arn=PUSH_ROLE), EVERY) == PULL | PUSH
    assert actions_allowed(policy, role("1", org=OTHER_ORG), EVERY) == PULL
    assert actions_allowed(policy, role("1", org=ORG), EVERY) == PULL | PUSH


def test_every_statement_is_scoped_no_wildcard_without_condition_and_lambda_only_with_a_source(ecr):
    policy = _written(ecr, {
        "AdditionalPullAccountIds": ["111111111111"], "AdditionalPushAccountIds": ["222222222222"],
        "PullPrincipalArns": [PULL_ROLE], "PushPrincipalArns": [PUSH_ROLE],
        "PullOrganizationIds": [ORG], "PushOrganizationIds": [ORG],
        "PullOrganizationalUnitPaths": [OU], "PushOrganizationalUnitPaths": [OU],
        "LambdaPullAccountIds": ["888888888888"],
    })
    statements = json.loads(policy)["Statement"]
    assert all(s["Sid"].startswith("EcrRepos") and s["Effect"] == "Allow" for s in statements)
    assert all("Resource" not in s and "NotAction" not in s and "NotPrincipal" not in s for s in statements)
    for statement in statements:
        actions = set(statement["Action"])
        assert actions <= PULL | PUSH and not any("*" in a for a in actions)
        if statement["Principal"] == "*" or statement["Principal"].get("AWS") == "*":
            assert statement.get("Condition"), statement
        if "Service" in statement["Principal"]:
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
            assert statement["Condition"]["StringLike"]["aws:sourceArn"] == [
                "arn:aws:lambda:us-east-1:888888888888:function:*"]
    # Someone outside every grant: nothing at all.
    for caller in (role("999999999999", org=OTHER_ORG, paths=[f"{OTHER_ORG}/r-zz99/"]), Caller(arn=None)):
        assert actions_allowed(policy, caller, EVERY) == set()


def test_grants_follow_the_stack_partition_and_region():
    resource = Resource(region="cn-north-1")
    event = resource.event("Create", {"EcrRepositories": {"app/api": {
        "PullPrincipalArns": ["arn:aws-cn:iam::444444444444:role/deploy"],
        "LambdaPullAccountIds": ["888888888888"]}}})
    event["StackId"] = event["StackId"].replace("arn:aws:", "arn:aws-cn:")
    import boto3
    from moto import mock_aws

    with mock_aws():
        response = resource.send(event)
        assert response.ok, response.reason
        policy = boto3.client("ecr", region_name="cn-north-1").get_repository_policy(
            repositoryName="app/api")["policyText"]
    assert allowed(policy, lambda_service("arn:aws-cn:lambda:cn-north-1:888888888888:function:f"),
                   "ecr:BatchGetImage")
    assert allowed(policy, role("888888888888", partition="aws-cn"), "ecr:GetDownloadUrlForLayer")
    assert allowed(policy, Caller(arn="arn:aws-cn:iam::444444444444:role/deploy"), "ecr:BatchGetImage")
    assert not allowed(policy, lambda_service("arn:aws:lambda:cn-north-1:888888888888:function:f"),
                       "ecr:BatchGetImage")
