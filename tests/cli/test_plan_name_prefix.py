"""Issue 20 item 10: plan and drift name repositories as the provider does (NamePrefix + key), read
through spec; a changed prefix plans the old names' removal and the new names' creation."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import ROOT, run
from tests.support.cfn import Resource

TEMPLATE = """Parameters:
  Env: {Type: String}
Resources:
  Repos:
    Type: Custom::EcrRepos
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:p
      NamePrefix: !Sub "${Env}/"
      EcrRepositories:
        app/api: {ScanOnPush: false}
        tools/base: {}
"""


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def deployed(endpoint):
    stack = Resource(stack_name="shop", logical_id="Repos")
    response = stack.create({"NamePrefix": "dev/", "EcrRepositories": {"app/api": {"ScanOnPush": False},
                                                                       "tools/base": {}}})
    assert response.ok, response.reason
    return stack


def plan(endpoint, tmp_path, env: str) -> dict[str, str]:
    template = tmp_path / "t.yaml"
    template.write_text(TEMPLATE)
    code, out, err = run("plan", str(template), "--stack-name", "shop", "--region", "us-east-1",
                         "--endpoint-url", endpoint, "--output", "json", "--parameters", f"Env={env}")
    assert (code, err) == (0, ""), out
    return {r["name"]: r["change"] for r in json.loads(out)["repositories"]}


def test_plan_of_the_same_prefix_keeps_the_full_names(deployed, endpoint, tmp_path):
    assert plan(endpoint, tmp_path, "dev") == {"dev/app/api": "keep", "dev/tools/base": "keep"}


def test_plan_of_another_prefix_removes_and_adds(deployed, endpoint, tmp_path):
    assert plan(endpoint, tmp_path, "prod") == {"prod/app/api": "create", "prod/tools/base": "create",
                                                "dev/app/api": "remove", "dev/tools/base": "remove"}


DEPLOYED = """Parameters:
  Env: {Type: String}
Resources:
  Repos:
    Type: Custom::EcrRepos
    Properties:
      ServiceToken: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:ecr-repos-provider
      NamePrefix: !Sub "${Env}/"
      EcrRepositories:
        app/api: {}
        tools/base: {}
"""


def test_drift_names_the_full_names_of_a_deployed_stack(deploy, endpoint, ecr, tmp_path):
    template = tmp_path / "stack.yaml"
    template.write_text(DEPLOYED)
    deploy("shop", template, {"Env": "dev"})
    assert {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]} == {"dev/app/api",
                                                                                         "dev/tools/base"}
    ecr.put_image_scanning_configuration(repositoryName="dev/app/api",
                                         imageScanningConfiguration={"scanOnPush": False})
    code, out, err = run("drift", str(template), "--stack-name", "shop", "--region", "us-east-1",
                         "--endpoint-url", endpoint, "--output", "json")
    assert (code, err) == (2, "")
    report = json.loads(out)
    assert report["declared"]["source"] == "deployed-template" and report["summary"]["repositories"] == 2
    assert [(d["repository"], d["setting"]) for d in report["differences"]] == [("dev/app/api", "scan_on_push")]
