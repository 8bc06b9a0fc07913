"""ecr-repos plan with the deployed properties: a real moto stack (tests/cli/conftest.py ``deploy``)
whose Custom::EcrRepos the provider created, then plans of changed templates against it."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from ecr_repos.cli import main
from ecr_repos.cli.plan import Target, compute
from ecr_repos.cli.cloudformation import Resource
from tests.cli.conftest import FIXTURES, MANIFEST, ROOT, golden

DEPLOYED = FIXTURES / "deployed"
PARAMETERS = {"Team": "payments"}  # not the template's default: the plan must read the stack's


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the template path appears in the output as given


@pytest.fixture
def stack(deploy, ecr):
    """Stack ``shop`` from deployed/current.yaml with Team=payments; web/full and web/purge hold an image."""
    stack_id, physical_id = deploy("shop", DEPLOYED / "current.yaml", PARAMETERS)
    for name in ("web/full", "web/purge"):
        ecr.put_image(repositoryName=name, imageManifest=MANIFEST, imageTag="v1")
    return stack_id, physical_id


def plan(endpoint: str, template: str, *extra: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["plan", f"tests/cli/fixtures/deployed/{template}", "--stack-name", "shop", "--region", "us-east-1",
                 "--endpoint-url", endpoint, "--parameters", "Team=payments", *extra], out, err)
    assert (code, err.getvalue()) == (0, "")
    return out.getvalue()


def normal(text: str, stack: tuple[str, str]) -> str:
    """The stack's id and physical id vary between runs: placeholders in the golden files."""
    return text.replace(stack[0], "STACK_ID").replace(stack[1], "PHYSICAL_ID")


def test_settings_only_keeps_the_physical_id(stack, endpoint):
    out = normal(plan(endpoint, "settings.yaml"), stack)
    assert out == golden("deployed-settings.txt", out)
    report = json.loads(plan(endpoint, "settings.yaml", "--output", "json"))
    assert report["previous"] == {"source": "deployed-template", "reason": None, "physicalId": stack[1],
                                  "keepsPhysicalId": True}
    assert {r["name"]: r["change"] for r in report["repositories"]} == {
        "web/api": "update", "web/full": "keep", "web/empty": "keep", "web/purge": "keep"}


def test_removal_takes_a_new_physical_id_and_lists_the_cleanup(stack, endpoint):
    out = normal(plan(endpoint, "removal.yaml"), stack)
    assert out == golden("deployed-removal.txt", out)
    report = json.loads(normal(plan(endpoint, "removal.yaml", "--output", "json"), stack))
    assert report == json.loads(golden("deployed-removal.json", json.dumps(report, indent=2) + "\n"))
    assert report["previous"]["keepsPhysicalId"] is False
    # EmptyOnDelete of the OLD properties decides: web/purge goes with its image, web/full stays.
    assert {r["name"]: r["change"] for r in report["repositories"]} == {
        "web/api": "keep", "web/empty": "remove", "web/purge": "remove", "web/full": "retain"}


def test_removal_plan_matches_what_the_provider_then_does(stack, endpoint, ecr):
    """The Update and the clean-up Delete of the old id, through the simulator: what the plan said."""
    report = json.loads(plan(endpoint, "removal.yaml", "--output", "json"))
    stack_id, physical_id = stack
    resource = Resource(stack_name="shop", stack_uuid=stack_id.rsplit("/", 1)[1], physical_id=physical_id,
                        properties={"Tags": {"team": "payments"}, "EcrRepositories": {
                            "web/api": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
                                        "Tags": {"tier": "web"}},
                            "web/full": {}, "web/empty": {}, "web/purge": {"EmptyOnDelete": True}}})
    new = {"Tags": {"team": "payments"}, "EcrRepositories": {
        "web/api": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}], "Tags": {"tier": "web"}}}}
    assert resource.update(new).ok
    assert (resource.physical_id != physical_id) is (not report["previous"]["keepsPhysicalId"])
    resource.cleanup()  # fails on web/full (holds images): CloudFormation carries on, the repository stays
    left = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    planned = {r["name"] for r in report["repositories"] if r["change"] != "remove"}
    assert left == planned == {"web/api", "web/full"}


def test_tag_removed_from_the_template_is_untagged_and_a_manual_tag_kept(stack, endpoint, ecr):
    """Only tags declared before are removed (the provider's rule): a tag set by hand stays, which
    the guess from the repository's tags could not tell."""
    arn = ecr.describe_repositories(repositoryNames=["web/api"])["repositories"][0]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "note", "Value": "manual"}])
    out = normal(plan(endpoint, "untag.yaml"), stack)
    assert out == golden("deployed-untag.txt", out)
    api = {r["name"]: r for r in json.loads(plan(endpoint, "untag.yaml", "--output", "json"))["repositories"]}
    assert api["web/api"]["settings"] == [{"setting": "tags", "before": ["note=manual", "team=payments", "tier=web"],
                                           "after": ["note=manual", "team=payments"]}]
    assert api["web/api"]["operations"] == ["UntagResource"]


def test_json_template_body_is_read_too(deploy, endpoint, tmp_path):
    """boto3 returns a JSON body parsed; the deployed template may be JSON."""
    from ecr_repos.cli.template import load

    body = tmp_path / "current.json"
    body.write_text(json.dumps(load(DEPLOYED / "current.yaml").data), encoding="utf-8")
    stack = deploy("shop", body, PARAMETERS)
    report = json.loads(plan(endpoint, "settings.yaml", "--output", "json"))
    assert report["previous"]["source"] == "deployed-template" and report["previous"]["keepsPhysicalId"] is True
    assert report["previous"]["physicalId"] == stack[1]


def test_reads_only_and_the_deployed_state_calls_are_made(stack, endpoint):
    session = boto3.Session(region_name="us-east-1")
    calls: list[str] = []
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    report = compute("tests/cli/fixtures/deployed/removal.yaml", stack_name="shop", parameters=PARAMETERS,
                     target=Target("us-east-1", endpoint, session))
    assert report.old_source == "deployed-template"
    assert {"DescribeStacks", "GetTemplate", "DescribeStackResource", "DescribeRepositories",
            "ListTagsForResource", "ListImages"} <= set(calls)
    assert [c for c in calls if not c.startswith(("Describe", "List", "Get"))] == []


@pytest.mark.parametrize("denied", ["GetTemplate", "DescribeStackResource"])
def test_denied_calls_fall_back_to_the_repository_tags(stack, endpoint, denied):
    def deny(model, **_):
        if model.name == denied:
            body = {"Error": {"Code": "AccessDenied", "Message": "denied"}, "ResponseMetadata": {}}
            return AWSResponse("https://cloudformation", 403, {}, None), body
        return None

    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-call.cloudformation", deny)
    report = compute("tests/cli/fixtures/deployed/removal.yaml", stack_name="shop", parameters=PARAMETERS,
                     target=Target("us-east-1", endpoint, session))
    assert (report.old_source, report.old_reason) == ("repository-tags", f"{denied} failed: AccessDenied")
    assert report.owner_match == "describe-stacks"
    kinds = {r.name: r.kind for r in report.repos}
    assert kinds["web/purge"] == "retain"  # the guess cannot know the old EmptyOnDelete
