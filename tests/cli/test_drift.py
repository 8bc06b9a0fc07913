"""ecr-repos drift and its repair, on a real moto stack (tests/cli/conftest.py ``deploy``) whose
Custom::EcrRepos the provider created: hand changes of every kind, drift before, the repair by an
Update that changes only ReconcileToken (through the Lambda entry point), drift after."""

from __future__ import annotations

import copy
import io
import json

import boto3
import pytest

from ecr_repos.cli.cloudformation import Resource
from ecr_repos.cli.drift import compute
from ecr_repos.cli.plan import Target
from tests.cli.conftest import FIXTURES, ROOT, golden, run
from tests.cli.test_errors import closed_port, no_credentials  # noqa: F401 - a fixture
from tests.cli.test_subprocess import ecr_repos
from tests.support.registry import snapshot

TEMPLATE = "tests/cli/fixtures/drift/stack.yaml"
PARAMETERS = {"Team": "payments"}
# The properties moto's stack sent the provider (the template resolved with Team=payments).
DEPLOYED = {"ReconcileToken": "2026-12-01", "Tags": {"team": "payments"}, "EcrRepositories": {
    "drift/clean": {}, "drift/mutability": {}, "drift/scanning": {},
    "drift/lifecycle-replaced": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}]},
    "drift/lifecycle-deleted": {},
    "drift/policy-changed": {"AdditionalPullAccountIds": ["222222222222"]},
    "drift/policy-removed": {"AdditionalPullAccountIds": ["222222222222"], "AdditionalPushAccountIds": ["333333333333"]},
    "drift/tag-changed": {"Tags": {"tier": "web"}}, "drift/tag-removed": {"Tags": {"tier": "web"}},
    "drift/deleted": {}, "drift/owner": {},
}}
OTHER_OWNER = "0" * 32


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the template path appears in the output as given


@pytest.fixture
def stack(deploy):
    return deploy("shop", FIXTURES / "drift" / "stack.yaml", PARAMETERS)


def arn(ecr, name: str) -> str:
    return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryArn"]


def policy(ecr, name: str) -> dict:
    return json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])


def hand_changes(ecr) -> None:
    """One repository per kind of change made behind CloudFormation's back."""
    ecr.put_image_tag_mutability(repositoryName="drift/mutability", imageTagMutability="MUTABLE")
    ecr.put_image_scanning_configuration(repositoryName="drift/scanning",
                                         imageScanningConfiguration={"scanOnPush": False})
    replaced = json.loads(ecr.get_lifecycle_policy(repositoryName="drift/lifecycle-replaced")["lifecyclePolicyText"])
    replaced["rules"][1]["selection"]["countNumber"] = 30
    del replaced["rules"][0]
    ecr.put_lifecycle_policy(repositoryName="drift/lifecycle-replaced", lifecyclePolicyText=json.dumps(replaced))
    ecr.delete_lifecycle_policy(repositoryName="drift/lifecycle-deleted")
    changed = policy(ecr, "drift/policy-changed")
    changed["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::444444444444:root"}
    ecr.set_repository_policy(repositoryName="drift/policy-changed", policyText=json.dumps(changed))
    removed = policy(ecr, "drift/policy-removed")
    removed["Statement"] = [s for s in removed["Statement"] if s["Sid"] != "EcrReposPush"]
    ecr.set_repository_policy(repositoryName="drift/policy-removed", policyText=json.dumps(removed))
    ecr.tag_resource(resourceArn=arn(ecr, "drift/tag-changed"),
                     tags=[{"Key": "tier", "Value": "db"}, {"Key": "note", "Value": "set by hand"}])
    ecr.untag_resource(resourceArn=arn(ecr, "drift/tag-removed"), tagKeys=["tier"])
    ecr.delete_repository(repositoryName="drift/deleted")
    ecr.tag_resource(resourceArn=arn(ecr, "drift/owner"), tags=[{"Key": "ecr-repos:owner", "Value": OTHER_OWNER}])


def drift(endpoint: str, *extra: str) -> tuple[int, str, str]:
    return run("drift", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint, *extra)


def normal(text: str, stack: tuple[str, str]) -> str:
    return text.replace(stack[0], "STACK_ID").replace(stack[1], "PHYSICAL_ID")


def deployed_resource(stack: tuple[str, str]) -> Resource:
    stack_id, physical_id = stack
    return Resource(stack_name="shop", stack_uuid=stack_id.rsplit("/", 1)[1], physical_id=physical_id,
                    properties=copy.deepcopy(DEPLOYED))


def with_token(token: str) -> dict:
    return {**copy.deepcopy(DEPLOYED), "ReconcileToken": token}


def test_no_drift_right_after_deployment(stack, endpoint):
    code, out, err = drift(endpoint)
    assert (code, err) == (0, "")
    assert out.endswith("No drift: the 11 declared repositories match the declared properties.\n")


def test_every_hand_change_is_reported_then_repaired_by_a_token_update(stack, endpoint, ecr):
    hand_changes(ecr)
    code, text, err = drift(endpoint)
    assert (code, err) == (2, "")
    text = normal(text, stack)
    assert text == golden("drift.txt", text)
    code, out, _ = drift(endpoint, "--output", "json")
    report = json.loads(normal(out, stack))
    assert report == json.loads(golden("drift.json", json.dumps(report, indent=2) + "\n"))
    assert sorted({(d["repository"], d["setting"]) for d in report["differences"]}) == [
        ("drift/deleted", "repository"),
        ("drift/lifecycle-deleted", "lifecycle_policy"),
        ("drift/lifecycle-replaced", "lifecycle_policy"),
        ("drift/mutability", "mutability"),
        ("drift/owner", "ownership"),
        ("drift/policy-changed", "repository_policy"),
        ("drift/policy-removed", "repository_policy"),
        ("drift/scanning", "scan_on_push"),
        ("drift/tag-changed", "tags"),
        ("drift/tag-removed", "tags"),
    ]
    assert report["declared"] == {"source": "deployed-template", "reason": None, "physicalId": "PHYSICAL_ID"}

    # The repair refuses a repository another owner holds, before any write.
    resource = deployed_resource(stack)
    before = snapshot(ecr)
    refused = resource.update(with_token("2026-12-02"))
    assert not refused.ok and "drift/owner" in refused.reason
    assert snapshot(ecr) == before

    # Ownership is put right by hand (the message's fix); the next token change repairs the rest.
    ecr.tag_resource(resourceArn=arn(ecr, "drift/owner"),
                     tags=[{"Key": "ecr-repos:owner", "Value": _token(stack)}])
    repaired = resource.update(with_token("2026-12-03"))
    assert repaired.ok, repaired.reason
    assert repaired.physical_id == stack[1]  # in place
    code, out, err = drift(endpoint)
    assert (code, err) == (0, ""), out
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn(ecr, "drift/tag-changed"))["tags"]}
    assert (tags["tier"], tags["note"]) == ("web", "set by hand")  # a tag the provider does not manage stays
    assert [s["Sid"] for s in policy(ecr, "drift/policy-removed")["Statement"]] == ["EcrReposPull", "EcrReposPush"]


def _token(stack: tuple[str, str]) -> str:
    from ecr_repos.repos.ownership import Owner

    return Owner(stack[0], "Repos").token


def test_an_update_that_only_changes_the_token_on_a_clean_map_writes_nothing(stack, endpoint, ecr):
    before = snapshot(ecr)
    response = deployed_resource(stack).update(with_token("again"))
    assert response.ok and response.physical_id == stack[1]
    assert snapshot(ecr) == before


def test_drift_makes_read_calls_only(stack, endpoint, ecr):
    hand_changes(ecr)
    before = snapshot(ecr)
    session = boto3.Session(region_name="us-east-1")
    calls: list[str] = []

    def record(model, **_):
        calls.append(model.name)
        assert model.name.startswith(("Describe", "List", "Get")), f"drift called {model.name}"

    session.events.register("before-call", record)
    report = compute(TEMPLATE, stack_name="shop", target=Target("us-east-1", endpoint, session))
    assert report.differences
    assert {"DescribeStacks", "GetTemplate", "DescribeStackResource", "DescribeRepositories", "ListTagsForResource",
            "GetLifecyclePolicy", "GetRepositoryPolicy"} <= set(calls)
    assert snapshot(ecr) == before


def test_without_a_stack_the_template_is_declared_and_tags_match_the_owner(endpoint, ecr):
    """No stack: the template's own properties with --parameters, owners by readable tags."""
    created = Resource(stack_name="shop", logical_id="Repos").create(with_token("x") | {"EcrRepositories": {
        "drift/clean": {}, "drift/mutability": {}}})
    assert created.ok, created.reason
    ecr.put_image_tag_mutability(repositoryName="drift/mutability", imageTagMutability="MUTABLE")
    code, out, err = run("drift", TEMPLATE, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url",
                         endpoint, "--parameters", "Team=payments", "--output", "json")
    assert (code, err) == (2, "")
    report = json.loads(out)
    assert report["declared"]["source"] == "template" and report["ownerMatchedBy"] == "tags"
    found = {(d["repository"], d["setting"]) for d in report["differences"]}
    assert ("drift/mutability", "mutability") in found and ("drift/clean", "mutability") not in found
    assert not any(d["setting"] == "provider_tags" for d in report["differences"])  # references not judged


def test_errors_exit_1(endpoint, tmp_path):
    code, _, err = run("drift", str(tmp_path / "missing.yaml"), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 1 and "ecr-repos drift: error:" in err
    assert run("drift", "--output", "xml", TEMPLATE)[0] == 1


# Errors are plan's words (common.user_message), one line on stderr, with drift's exit code 1.


def test_a_missing_file_is_one_line_and_exit_1(tmp_path):
    missing = str(tmp_path / "missing.yaml")
    assert run("drift", missing, "--region", "us-east-1") == (
        1, "", f"ecr-repos drift: error: {missing}: cannot read the file: No such file or directory\n")


def test_an_unreachable_endpoint_is_one_line_and_exit_1():
    url = f"http://127.0.0.1:{closed_port()}"
    assert run("drift", TEMPLATE, "--region", "us-east-1", "--endpoint-url", url) == (
        1, "", f"ecr-repos drift: error: cannot connect to {url}/; check --endpoint-url or AWS_ENDPOINT_URL, "
               "the region and the network\n")


def test_no_credentials_is_one_line_and_exit_1(no_credentials, endpoint):
    assert run("drift", TEMPLATE, "--region", "us-east-1", "--endpoint-url", endpoint) == (
        1, "", "ecr-repos drift: error: no AWS credentials found; set AWS_PROFILE (after `aws sso login` or "
               "`aws configure`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n")


def test_a_denied_registry_read_says_what_to_do_as_plan_does(stack, endpoint, monkeypatch):
    # given moto's ECR refusing DescribeRepositories, as ECR does for a role without the right
    from moto.core.exceptions import JsonRESTError

    def denied(self, *args, **kwargs):
        raise JsonRESTError("AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized")

    monkeypatch.setattr("moto.ecr.models.ECRBackend.describe_repositories", denied)
    # when drift reads the registry, then the words are plan's, not the Lambda's "retry the stack operation"
    assert drift(endpoint) == (1, "", "ecr-repos drift: error: cannot read the registry: your credentials may not "
                                      "call ecr:DescribeRepositories; use a role or profile that may\n")


def test_a_bug_while_reading_the_registry_is_reported_as_one_and_still_exits_1(stack, endpoint, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("ecr_repos.cli.drift.read_states", broken)
    assert drift(endpoint) == (1, "", "ecr-repos drift: internal error: ZeroDivisionError: division by zero\n"
                                      "(a bug in ecr-repos: please report it; ECR_REPOS_DEBUG=1 shows the traceback)\n")


@pytest.mark.parametrize("args", [
    ["drift", "no-such.yaml", "--region", "us-east-1"],
    ["drift", TEMPLATE, "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:{port}"],
])
def test_no_traceback_from_the_console_script(args):
    result = ecr_repos(*[a.format(port=closed_port()) for a in args])
    assert (result.returncode, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("ecr-repos drift: error: ")


def test_function_grants_are_judged_in_the_stack_region(endpoint, ecr, tmp_path):
    """The Lambda writes a LambdaPullAccountIds grant for functions of its own region; drift builds
    the declared policy for the same region, so a fresh map has no drift."""
    template = tmp_path / "grants.yaml"
    template.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n"
                        "      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:ecr-repos-provider\n"
                        "      EcrRepositories:\n        app/fn:\n"
                        "          LambdaPullAccountIds: [\"444444444444\"]\n", encoding="utf-8")
    created = Resource(stack_name="grants", region="us-east-1").create(
        {"EcrRepositories": {"app/fn": {"LambdaPullAccountIds": ["444444444444"]}}})
    assert created.ok, created.reason
    written = json.dumps(policy(ecr, "app/fn"))
    assert "arn:aws:lambda:us-east-1:444444444444:function:*" in written

    code, out, err = run("drift", str(template), "--stack-name", "grants", "--region", "us-east-1",
                         "--endpoint-url", endpoint)
    assert (code, err) == (0, ""), out


def test_progress_goes_to_a_terminal_only(stack, endpoint):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Tty()
    for stream in (quiet, loud):
        compute(TEMPLATE, stack_name="shop", target=Target("us-east-1", endpoint), progress=stream)
    assert quiet.getvalue() == ""
    assert "\rreading repositories 11/11" in loud.getvalue() and loud.getvalue().endswith("\r\033[K")


def test_a_foreign_policy_statement_is_not_drift_and_survives_the_repair(stack, endpoint, ecr):
    text = policy(ecr, "drift/policy-changed")
    text["Statement"].append({"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow",
                              "Principal": {"Service": "lambda.amazonaws.com"},
                              "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})
    ecr.set_repository_policy(repositoryName="drift/policy-changed", policyText=json.dumps(text))
    assert drift(endpoint)[0] == 0
    assert deployed_resource(stack).update(with_token("2026-12-02")).ok
    sids = [s["Sid"] for s in policy(ecr, "drift/policy-changed")["Statement"]]
    assert "LambdaECRImageRetrievalPolicy" in sids


def test_invalid_template_properties_are_plans_lines_in_line_order_with_yaml_hints(endpoint, tmp_path):
    # given no stack, so the template's properties are the declared ones, with two problems
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
        "      EcrRepositories:\n        app/api:\n"
        "          ScanOnPush: maybe\n"
        "          AdditionalPullAccountIds:\n            - 012345670123\n")
    code, out, err = run("drift", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    p = f"{template}:{{}}: Resources.Repos.Properties.EcrRepositories.app/api"
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"ecr-repos drift: error: {template}: Repos's properties: 2 problems; fix the template or --parameters",
        p.format(8) + ".ScanOnPush: must be true or false, got 'maybe'",
        p.format(10) + ".AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got '1402433619'; YAML "
                       "reads the unquoted 012345670123 as the octal number 1402433619; quote account ids: "
                       "'012345670123'",
    ]


def test_yaml_pitfalls_of_the_template_are_warnings_on_stderr(endpoint, ecr, tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
        "      EmptyOnDelete: no\n      EcrRepositories:\n        app/warned: {}\n")
    code, out, err = run("drift", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 2 and "app/warned" in out  # not created yet: drift
    assert err == (f"{template}:6: warning: Resources.Repos.Properties.EmptyOnDelete: YAML 1.1 reads the unquoted "
                   "no as the boolean false (YAML 1.2 as the string 'no'); write false, or quote it: 'no'\n")
