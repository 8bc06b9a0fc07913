"""Issue 11, outcome 4: bad grants fail before any write, naming the repository, the field and the
fix; the Lambda, ``ecr-repos validate`` and the cfn-lint rule say the same (one schema; the
partition check, which needs the stack, in spec.py and so in the Lambda and validate)."""

from __future__ import annotations

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.cli.conftest import ROOT, run
from tests.support.cfn import Resource
from tests.support.registry import recorded_calls, snapshot

TEMPLATE = "tests/cli/fixtures/bad_access.yaml"
API = "EcrRepositories.app/api"
ARN_FIX = "must be the ARN of an IAM role, user or account root, like arn:aws:iam::123456789012:role/ci"
OU_FIX = ("must be an OU path with the final '/', like o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ "
          "(a whole organization: use OrganizationIds)")
SCHEMA_PROBLEMS = [
    (9, f"{API}.PullPrincipalArns[0]: {ARN_FIX}, got 'arn:aws:lambda:us-east-1:444444444444:function:f'"),
    (11, f"{API}.PullOrganizationIds: lists the same value twice; remove the duplicate"),
    (12, f"{API}.PullOrganizationalUnitPaths[0]: {OU_FIX}, got 'ou-ab12-11111111'"),
    (13, f"{API}.LambdaPullAccountIds[0]: must be a 12-digit AWS account id, got '8888'"),
]
PARTITION_PROBLEM = (10, f"{API}.PushPrincipalArns[0]: is in partition 'aws-cn', the stack in 'aws'; "
                         "use arn:aws:iam::444444444444:role/ci")


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_validate_lists_every_problem_and_the_partition_one():
    code, out, err = run("validate", TEMPLATE)
    assert (code, err) == (1, "")
    p = "Resources.Repos.Properties."
    assert out.splitlines() == [f"{TEMPLATE}:{line}: {p}{message}" for line, message in
                                sorted(SCHEMA_PROBLEMS + [PARTITION_PROBLEM])]


def test_cfn_lint_rule_gives_the_schema_messages():
    matches = lint_file(ROOT / TEMPLATE, ManualArgs(append_rules=[str(ROOT / "provider" / "ecr_repos" / "cfnlint_rules")]))
    assert sorted((m.linenumber, m.message) for m in matches if m.rule.id == "E9101") == SCHEMA_PROBLEMS


@pytest.mark.parametrize("settings, expected", [
    ({"PullPrincipalArns": ["arn:aws:lambda:us-east-1:444444444444:function:f"]}, SCHEMA_PROBLEMS[0][1]),
    ({"PullOrganizationIds": ["o-a1b2c3d4e5", "o-a1b2c3d4e5"]}, SCHEMA_PROBLEMS[1][1]),
    ({"PullOrganizationalUnitPaths": ["ou-ab12-11111111"]}, SCHEMA_PROBLEMS[2][1]),
    ({"LambdaPullAccountIds": ["8888"]}, SCHEMA_PROBLEMS[3][1]),
    ({"PushPrincipalArns": ["arn:aws-cn:iam::444444444444:role/ci"]}, PARTITION_PROBLEM[1]),
])
def test_the_lambda_fails_before_any_write_with_the_same_message(aws, ecr, settings, expected):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {}}}).ok
    before = snapshot(ecr)
    with recorded_calls() as calls:
        response = stack.update({"EcrRepositories": {"app/api": settings}})
    assert response.status == "FAILED"
    assert response.reason == f"Invalid properties: {expected}"
    assert calls.names == [] and snapshot(ecr) == before


def test_an_arn_of_the_stack_partition_is_accepted_in_china(aws):
    resource = Resource(region="cn-north-1")
    event = resource.event("Create", {"EcrRepositories": {"app/api": {
        "PushPrincipalArns": ["arn:aws:iam::444444444444:role/ci"]}}})
    event["StackId"] = event["StackId"].replace("arn:aws:", "arn:aws-cn:")
    response = resource.send(event)
    assert response.status == "FAILED"
    assert response.reason.endswith("is in partition 'aws', the stack in 'aws-cn'; use arn:aws-cn:iam::444444444444:role/ci")
