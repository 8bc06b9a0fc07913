"""A !Ref or !GetAtt of a resource of the same template (a KMS key, a role's ARN) does not stop
``plan``: such values are "(known after deploy)", as terraform shows them, and the rest is planned."""

from __future__ import annotations

import json

from ecr_repos.cli.resolve import SHOWN, context_for, resolve, shown
from tests.cli.conftest import FIXTURES, run

TEMPLATE = str(FIXTURES / "same_stack.yaml")
UNKNOWN = ["EcrRepositories.app/api.KmsKey", "EcrRepositories.app/api.PullPrincipalArns[0]",
           "EcrRepositories.app/api.Tags.role", "EcrRepositories.app/api.Tags.key"]


def test_plan_shows_values_of_the_stacks_own_resources_as_known_after_deploy(endpoint):
    code, out, err = run("plan", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, err) == (0, "")
    assert ("Known after deploy (a !Ref or !GetAtt of a resource of this template): " + ", ".join(UNKNOWN)) in out
    assert "KnownAfterDeploy" not in out
    assert f"role={SHOWN}" in out and f"key={SHOWN}" in out
    assert f"    encryption: KMS {SHOWN}\n" in out
    assert f"        pull: {SHOWN}\n" in out  # the pull grant's principal in the repository policy
    assert "+ app/web" in out and "Summary: 2 to create." in out


def test_plan_json_lists_them_and_shows_no_placeholder(endpoint):
    code, out, err = run("plan", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint,
                         "--output", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["knownAfterDeploy"] == UNKNOWN
    assert "KnownAfterDeploy" not in out


def test_drift_says_it_cannot_compare_them(endpoint):
    code, out, err = run("drift", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, out) == (1, "")
    assert err == (f"ecr-repos drift: error: {TEMPLATE}: Repos: drift cannot compare {', '.join(UNKNOWN)}: a !Ref or "
                   "!GetAtt of a resource of the same stack, which the CLI does not read; write the value in a copy "
                   "of the template, or pass it as a parameter\n")


def test_placeholders_have_the_shape_the_provider_checks():
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role"}, "Key": {"Type": "AWS::KMS::Key"},
                              "Alias": {"Type": "AWS::KMS::Alias"}, "Topic": {"Type": "AWS::SNS::Topic"}}}
    ctx = context_for(template, region="eu-west-1", account="123456789012")
    value = resolve({"a": {"Fn::GetAtt": ["Role", "Arn"]}, "b": {"Fn::GetAtt": "Key.Arn"}, "c": {"Ref": "Alias"},
                     "d": {"Fn::Sub": "x-${Topic.TopicName}"}, "e": {"Fn::Sub": "arn:aws:iam::1:role/${Role}"},
                     "f": {"Fn::GetAtt": ["Elsewhere", "Arn"]}}, ctx)
    assert value == {"a": "arn:aws:iam::123456789012:role/KnownAfterDeploy-Role-Arn",
                     "b": "arn:aws:kms:eu-west-1:123456789012:key/KnownAfterDeploy-Key-Arn",
                     "c": "alias/KnownAfterDeploy-Alias",
                     "d": "x-KnownAfterDeploy-Topic-TopicName",
                     "e": "arn:aws:iam::1:role/KnownAfterDeploy-Role",
                     "f": {"Fn::GetAtt": ["Elsewhere", "Arn"]}}  # not a resource of the template: unknown
    assert [shown(v) for v in list(value.values())[:5]] == [SHOWN, SHOWN, f"alias/{SHOWN}", f"x-{SHOWN}", SHOWN]


DEPLOYED = str(FIXTURES / "deployed" / "same_stack.yaml")


def test_values_of_resources_the_stack_has_are_read_from_it(deploy, endpoint, ecr):
    # given a stack whose KMS key and role (with a path) the Custom::EcrRepos uses
    deploy("keys", FIXTURES / "deployed" / "same_stack.yaml")
    key = ecr.describe_repositories()["repositories"][0]["encryptionConfiguration"]["kmsKey"]
    # when plan and drift read the same template
    code, out, err = run("plan", DEPLOYED, "--stack-name", "keys", "--region", "us-east-1", "--endpoint-url", endpoint,
                         "--output", "json")
    # then the key's ARN, the role's ARN (with its path) and name come from ListStackResources:
    # nothing is in conflict, nothing changes, nothing is left unknown
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["knownAfterDeploy"] == []
    assert [(r["name"], r["change"]) for r in report["repositories"]] == [("app/api", "keep")]
    assert key.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    code, out, err = run("drift", DEPLOYED, "--stack-name", "keys", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, err) == (0, ""), out
    assert "No drift" in out


def test_a_resource_the_stack_does_not_have_yet_is_known_after_deploy(deploy, endpoint, tmp_path):
    deploy("keys", FIXTURES / "deployed" / "same_stack.yaml")
    template = tmp_path / "keys.yaml"
    text = open(DEPLOYED).read().replace("KmsKey: !GetAtt Key.Arn", "KmsKey: !GetAtt NewKey.Arn")
    text = text.replace("  CiRole:\n", "  NewKey:\n    Type: AWS::KMS::Key\n    Properties: {KeyPolicy: {}}\n  CiRole:\n")
    template.write_text(text)
    code, out, err = run("plan", str(template), "--stack-name", "keys", "--region", "us-east-1", "--endpoint-url",
                         endpoint)
    assert (code, err) == (0, "")
    assert "Known after deploy (a !Ref or !GetAtt of a resource of this template): EcrRepositories.app/api.KmsKey" in out
    # ECR fixes encryption at creation: a new key for an existing repository is a conflict, and plan says so
    assert f"declared KMS {SHOWN}" in out
