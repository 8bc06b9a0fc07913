"""ecr-repos plan against a moto server: golden text and JSON, ownership, read calls only, errors."""

from __future__ import annotations

import json

import boto3
import pytest

from ecr_repos.cli.plan import Target, compute
from tests.cli.conftest import ROOT, golden, run
from tests.support.cfn import Resource

PLAN = "tests/cli/fixtures/plan.yaml"
RETENTION = "tests/cli/fixtures/retention.yaml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the template path appears in the output as given


def test_plan_text_matches_golden(scenario, endpoint):
    code, out, err = run("plan", PLAN, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, err) == (0, "")
    assert out == golden("plan.txt", out)


def test_plan_json_matches_golden_and_lists_every_kind(scenario, endpoint):
    code, out, err = run("plan", PLAN, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint,
                         "--output", "json")
    assert (code, err) == (0, "")
    assert out == golden("plan.json", out)
    plan = json.loads(out)
    kinds = {r["name"]: r["change"] for r in plan["repositories"]}
    assert kinds == {"app/new": "create", "app/api": "update", "legacy/tool": "adopt", "app/old": "remove",
                     "app/full": "retain", "app/adopted": "release", "other/taken": "conflict", "app/same": "keep"}


def test_parameters_and_conditions_change_the_plan(scenario, endpoint):
    """Env=dev flips both conditions: app/api stays IMMUTABLE, app/same loses scanning, app/new has no policy."""
    code, out, _ = run("plan", PLAN, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint,
                       "--output", "json", "--parameters", "Env=dev", "PullAccounts=222222222222")
    assert code == 0
    repos = {r["name"]: r for r in json.loads(out)["repositories"]}
    api = {s["setting"]: s for s in repos["app/api"]["settings"]}
    assert "mutability" not in api
    assert api["lifecycle_policy"]["after"][2] == "3. tagged rc-dev-*: expire 30 days after push"
    assert api["repository_policy"]["after"] == ["pull: 111111111111, 222222222222", "push: 111111111111"]
    assert repos["app/same"]["settings"] == [{"setting": "scan_on_push", "before": "true", "after": "false"}]
    assert "repository_policy" not in {s["setting"] for s in repos["app/new"]["settings"]}


def test_plan_makes_read_calls_only_and_changes_nothing(scenario, endpoint, ecr):
    def snapshot():
        repos = ecr.describe_repositories()["repositories"]
        return sorted((r["repositoryName"], r["imageTagMutability"],
                       tuple(sorted((t["Key"], t["Value"]) for t in
                                    ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"])))
                      for r in repos)

    before = snapshot()
    session = boto3.Session(region_name="us-east-1")
    calls: list[str] = []
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    report = compute(PLAN, stack_name="shop", target=Target("us-east-1", endpoint, session))
    assert report.counts()["conflict"] == 1
    assert {"DescribeRepositories", "ListTagsForResource", "GetLifecyclePolicy", "GetRepositoryPolicy",
            "ListImages", "DescribeStacks", "GetCallerIdentity"} <= set(calls)
    assert [c for c in calls if not c.startswith(("Describe", "List", "Get"))] == []
    assert snapshot() == before


def test_exact_stack_id_matches_owner_hash(scenario, endpoint):
    code, out, _ = run("plan", PLAN, "--stack-id", scenario.stack_id, "--region", "us-east-1",
                       "--endpoint-url", endpoint, "--output", "json")
    plan = json.loads(out)
    assert (code, plan["ownerMatchedBy"], plan["stackName"]) == (0, "stack-id", "shop")
    assert plan["summary"]["update"] == 1 and plan["summary"]["remove"] == 1


def test_other_stack_id_makes_every_owned_repository_a_conflict(scenario, endpoint):
    """A re-created stack of the same name has a new id: the provider would refuse its repositories."""
    other_id = scenario.stack_id.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    code, out, _ = run("plan", PLAN, "--stack-id", other_id, "--region", "us-east-1", "--endpoint-url", endpoint,
                       "--output", "json")
    repos = {r["name"]: r for r in json.loads(out)["repositories"]}
    assert code == 0
    assert repos["app/api"]["change"] == "conflict" and repos["app/api"]["note"] == "owned by stack 'shop'"
    assert not {"remove", "retain", "release"} & {r["change"] for r in repos.values()}


def test_stack_found_by_describe_stacks_gives_exact_ownership(endpoint):
    """A stack CloudFormation knows: its id is looked up; repositories of a same-named older stack conflict."""
    cfn = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=endpoint)
    stack_id = cfn.create_stack(StackName="shop", TemplateBody=json.dumps(
        {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))["StackId"]
    from tests.support.cfn import Resource

    old = Resource(stack_name="shop", logical_id="Repos", stack_uuid="older-stack")
    assert old.create({"EcrRepositories": {"app/api": {}}}).ok
    code, out, _ = run("plan", PLAN, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint,
                       "--output", "json")
    plan = json.loads(out)
    assert (code, plan["ownerMatchedBy"], plan["stackId"]) == (0, "describe-stacks", stack_id)
    assert {r["name"]: r["change"] for r in plan["repositories"]}["app/api"] == "conflict"


def test_unresolvable_value_is_an_error_naming_file_and_line(endpoint, tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("Parameters:\n  Ci: {Type: String}\nResources:\n  Repos:\n    Type: Custom::EcrRepos\n"
                        "    Properties:\n      ServiceToken: x\n      EcrRepositories:\n        app/api:\n"
                        "          AdditionalPushAccountIds: [!Ref Ci]\n")
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos plan: error: {template}:10: Resources.Repos.Properties.EcrRepositories.app/api."
                   "AdditionalPushAccountIds[0]: cannot resolve Ref before deployment; pass the value with "
                   "--parameters\n")


@pytest.mark.parametrize("args,message", [
    (["--parameters", "Env=staging"], "parameter 'Env': 'staging' is not one of AllowedValues ['dev', 'prod']"),
    (["--parameters", "Nope=1"], "parameter 'Nope' is not declared in the template"),
    (["--parameters", "Env"], "--parameters takes KEY=VALUE, got 'Env'"),
    (["--logical-id", "Missing"], "no resource 'Missing'"),
])
def test_bad_arguments_fail_with_a_message(endpoint, args, message):
    code, out, err = run("plan", PLAN, "--region", "us-east-1", "--endpoint-url", endpoint, *args)
    assert (code, out) == (2, "")
    assert message in err


def test_invalid_properties_after_resolution_fail(endpoint):
    code, _, err = run("plan", PLAN, "--region", "us-east-1", "--endpoint-url", endpoint,
                       "--parameters", "CiAccountId=12345")
    assert code == 2
    assert "plan.yaml:36: Resources.Repos.Properties.EcrRepositories.app/api.AdditionalPushAccountIds[0]: " \
           "must be a 12-digit AWS account id, got '12345'" in err


def test_unreachable_registry_is_an_error():
    code, out, err = run("plan", PLAN, "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9")
    assert (code, out) == (2, "")
    # the first call (STS, for AWS::AccountId) already says it: one line, what to check
    assert err == ("ecr-repos plan: error: cannot connect to http://127.0.0.1:9/; check --endpoint-url or "
                   "AWS_ENDPOINT_URL, the region and the network\n")


def test_plan_shows_the_retention_settings_and_an_encryption_conflict(endpoint):
    # given app/api and app/locked, made by this resource with the seed's settings (AES256, no exclusions)
    assert Resource(stack_name="shop").create({"EcrRepositories": {"app/api": {}, "app/locked": {}}}).ok
    # when the template adds retention and exclusion defaults, and KMS on app/locked
    code, out, err = run("plan", RETENTION, "--stack-name", "shop", "--region", "us-east-1", "--endpoint-url", endpoint)
    # then the plan shows the new settings, and app/locked as a conflict: ECR cannot change encryption
    assert (code, err) == (0, "")
    assert out == golden("retention.txt", out)
    assert "x app/locked  (in conflict: encrypted AES256, declared KMS: " in out
    assert "      + dev-*\n      + latest" in out
