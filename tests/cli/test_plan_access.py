"""ecr-repos plan shows the statements others wrote as kept (issue 11, outcome 2)."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import ROOT, run
from tests.support.cfn import Resource

TEMPLATE = "tests/cli/fixtures/access.yaml"
LAMBDA = {"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
          "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          "Condition": {"StringLike": {"aws:sourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}}}
KEPT = ("kept: LambdaECRImageRetrievalPolicy: Allow lambda.amazonaws.com ecr:BatchGetImage, "
        "ecr:GetDownloadUrlForLayer (with conditions)")


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _add(ecr, repo, statement):
    try:
        current = json.loads(ecr.get_repository_policy(repositoryName=repo)["policyText"])
    except ecr.exceptions.RepositoryPolicyNotFoundException:
        current = {"Version": "2012-10-17", "Statement": []}
    current["Statement"].append(statement)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(current))


def test_plan_shows_foreign_statements_as_kept(endpoint, ecr):
    shop = Resource(stack_name="shop", logical_id="Repos")
    assert shop.create({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": ["111111111111"]},
                                            "app/web": {}}}).ok
    ecr.create_repository(repositoryName="legacy/tool", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
    for repo in ("app/api", "app/web", "legacy/tool"):
        _add(ecr, repo, LAMBDA)

    code, out, err = run("plan", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, err) == (0, ""), out
    text = out.split("\n\n")[1]
    assert text.splitlines() == [
        "~ app/api  (to change)",
        "    repository policy:",
        "      - pull: 111111111111",
        "      + pull: 111111111111, 222222222222",
        "        push: -",
        "      + Lambda pull: 888888888888",
        f"        {KEPT}",
        "~ app/web  (to change)",
        "    repository policy:",
        f"        {KEPT}",
        "    tags: added",
        "      + team=web",
        "> legacy/tool  (to adopt: exists and no stack owns it: taken over, images kept)",
        "    lifecycle policy: added",
        "      + 1. untagged: keep the 3 newest",
        "    repository policy:",
        f"        {KEPT}",
    ]


def test_plan_reports_a_policy_that_would_not_fit_as_a_conflict(endpoint, ecr):
    shop = Resource(stack_name="shop", logical_id="Repos")
    assert shop.create({"EcrRepositories": {"app/api": {}, "app/web": {}}}).ok
    big = {"Sid": "Others", "Effect": "Allow", "Action": "ecr:BatchGetImage",
           "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:role/r" for i in range(275)]}}
    _add(ecr, "app/api", big)

    code, out, err = run("plan", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert err == ""
    assert "x app/api  (in conflict: its repository policy would be " in out
    assert "of them statements others wrote; ECR allows 10240)" in out
    assert "An Update with these properties would fail before any change" in out
