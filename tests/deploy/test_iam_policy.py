"""The provider role allows every AWS call the handler makes, across all features, and nothing more.

moto does not enforce IAM, so an AccessDenied would first show up in a real deployment as a failed
stack. This test records the calls the real Lambda entry point makes through a scenario that uses
every feature, then evaluates them against the role's statements as written in each template.
"""

from __future__ import annotations

import json
import os

import boto3
import pytest

from tests.support.cfn import Resource
from tests.support.registry_stack import RegistryResource

from .conftest import ROOT
from .iam_policy import Call, Statement, is_allowed, load_template, record_calls, role_statements

ACCOUNT, REGION = "123456789012", "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TEMPLATES = ["provider.yaml", "stackset.yaml"]


def push_image(ecr, repo: str, tag: str) -> None:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": f"sha256:{'a' * 64}", "size": 1, "mediaType": "application/vnd.docker.container.image.v1+json"},
                "layers": []}
    ecr.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)


def names(ecr) -> list[str]:
    return sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])


def every_feature(resource: Resource) -> dict[str, dict]:
    return {
        "Tags": {"team": "platform", "cost-center": "4711"},
        "AdoptExisting": True,
        "EcrRepositories": {
            "app/api": {
                "IsImmutable": True,
                "ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
                "AdditionalPushAccountIds": ["111111111111"],
                "AdditionalPullAccountIds": ["222222222222"],
                "ScanOnPush": True,
                "Tags": {"service": "api"},
            },
            "app/worker": {"IsImmutable": False, "ExpireAllImages": True, "ScanOnPush": False},
            "app/batch": {"LifecyclePolicyText": json.dumps({"rules": [{
                "rulePriority": 1, "description": "keep ten release images",
                "selection": {"tagStatus": "tagged", "tagPrefixList": ["release-"],
                              "countType": "imageCountMoreThan", "countNumber": 10},
                "action": {"type": "expire"}}]})},
            "legacy/web": {"AdditionalPullAccountIds": ["222222222222"]},
            # ECR creates the grants with the caller's rights; removed by the update's cleanup, which
            # retires them
            "app/secure": {"Encryption": "KMS", "KmsKey": KEY},
        },
    }


def every_setting_changed() -> dict[str, dict]:
    return {
        "Tags": {"team": "platform-2"},  # value changed, cost-center removed
        "AdoptExisting": True,
        "EcrRepositories": {
            "app/api": {
                "IsImmutable": False,
                "ExpirationRules": [{"TagPattern": "pr-*", "Days": 3}, {"TagPattern": "dev-*", "Days": 1}],
                "AdditionalPullAccountIds": ["333333333333"],
                "ScanOnPush": False,
                "EmptyOnDelete": True,
            },
            "app/batch": {"AdditionalPushAccountIds": ["111111111111"]},
            "legacy/web": {"IsImmutable": False},  # pull account dropped: no repository policy left
            "app/new": {},
        },
    }


def every_registry_part(secret: str) -> dict[str, dict]:
    return {
        "PolicyStatements": [{"Sid": "CacheImport", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                              "Action": ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]}],
        "ReplicationSourceAccountIds": ["111111111111"],
        "ReplicationRules": [{"Destinations": [{"Region": "eu-west-1"}]}],
        "PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": secret}},
        "RepositoryCreationTemplates": {"hub/": {"AppliedFor": ["PULL_THROUGH_CACHE"],
                                                 "CustomRoleArn": f"arn:aws:iam::{ACCOUNT}:role/templates",
                                                 "RepositorySettings": {"Tags": {"team": "platform"}}}},
        "Scanning": {"ScanType": "ENHANCED", "Rules": [{"Frequency": "CONTINUOUS_SCAN", "RepositoryFilters": ["*"]}]},
        "PullTimeUpdateExclusions": [f"arn:aws:iam::{ACCOUNT}:role/ci"],
    }


def every_registry_part_changed(secret: str) -> dict[str, dict]:
    return {"PullThroughCacheRules": {"hub": {"Upstream": "docker-hub", "CredentialArn": secret}},
            "RepositoryCreationTemplates": {"hub/": {"AppliedFor": ["PULL_THROUGH_CACHE", "REPLICATION"],
                                                     "CustomRoleArn": f"arn:aws:iam::{ACCOUNT}:role/templates"}}}


def registry_scenario(ecr) -> list[Call]:
    """Custom::EcrRegistry with every part: create, update in place (credential, template), delete."""
    sm = boto3.client("secretsmanager", region_name=REGION)
    first = sm.create_secret(Name="ecr-pullthroughcache/hub", SecretString="{}")["ARN"]
    second = sm.create_secret(Name="ecr-pullthroughcache/hub-2", SecretString="{}")["ARN"]
    registry = RegistryResource(stack_name="iam-registry", account=ACCOUNT, region=REGION)
    with record_calls(ACCOUNT) as calls:
        responses = [registry.create(every_registry_part(first)), registry.update(every_registry_part_changed(second)),
                     registry.delete()]
    assert [r.status for r in responses] == ["SUCCESS"] * 3, [r.reason for r in responses]
    assert ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
    return calls


@pytest.fixture(scope="module")
def recorded_calls() -> list[Call]:
    """Create (with adoption), update of every setting with a removal and its cleanup, then a
    Delete that empties a repository holding images: the calls the handler made."""
    from moto import mock_aws

    with mock_aws():
        ecr = boto3.client("ecr", region_name=REGION)
        ecr.create_repository(repositoryName="legacy/web")  # unowned: the resource adopts it
        push_image(ecr, "legacy/web", "v1")
        resource = Resource(stack_name="iam-scenario", account=ACCOUNT, region=REGION)
        with record_calls(ACCOUNT) as calls:
            created = resource.create(every_feature(resource))
        push_image(ecr, "app/api", "v1")  # (the test's own call, not recorded)
        with record_calls(ACCOUNT) as more:
            updated = resource.update(every_setting_changed())
            cleaned = resource.cleanup()
        calls += more
        after_update = names(ecr)
        with record_calls(ACCOUNT) as more:
            deleted = resource.delete()
        calls += more
        remaining = names(ecr)
        legacy_images = ecr.list_images(repositoryName="legacy/web")["imageIds"]
        os.environ["ECR_REGISTRY_SETTLE_SECONDS"] = "0"
        try:
            calls += registry_scenario(ecr)
        finally:
            del os.environ["ECR_REGISTRY_SETTLE_SECONDS"]

    # the scenario really did what it claims, so the calls are the ones of every feature
    responses = [created, updated, cleaned, deleted]
    assert [r.status for r in responses] == ["SUCCESS"] * 4, [r.reason for r in responses]
    assert after_update == ["app/api", "app/batch", "app/new", "legacy/web"]  # app/worker, app/secure removed
    # app/api held an image and EmptyOnDelete emptied it; the adopted legacy/web was released with its image
    assert remaining == ["legacy/web"]
    assert [i["imageTag"] for i in legacy_images] == ["v1"]
    return calls


@pytest.mark.parametrize("template", TEMPLATES)
def test_role_allows_every_call_the_handler_makes(template, recorded_calls):
    statements = role_statements(load_template(ROOT / "templates" / template),
                                 partition="aws", region=REGION, account=ACCOUNT)
    denied = sorted({(c.action, c.resource) for c in recorded_calls if not is_allowed(statements, c)})
    assert denied == []


def test_the_scenario_records_the_kms_calls_ecr_makes_for_the_caller(recorded_calls):
    via = (("kms:ViaService", f"ecr.{REGION}.amazonaws.com"),)
    kms = [c for c in recorded_calls if c.action.startswith("kms:")]
    assert kms == [Call("kms:DescribeKey", KEY, via), Call("kms:CreateGrant", KEY, via), Call("kms:RetireGrant", KEY, via)]


@pytest.mark.parametrize("template", TEMPLATES)
def test_kms_rights_hold_only_through_ecr_in_this_region_and_on_the_declared_keys(template):
    def allowed(call: Call, **parameters) -> bool:
        statements = role_statements(load_template(ROOT / "templates" / template), partition="aws", region=REGION,
                                     account=ACCOUNT, parameters=parameters)
        return is_allowed(statements, call)

    via = (("kms:ViaService", f"ecr.{REGION}.amazonaws.com"),)
    other_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"
    assert allowed(Call("kms:CreateGrant", KEY, via))  # default: any key of the account, through ECR
    assert not allowed(Call("kms:CreateGrant", KEY))  # called directly, not through ECR
    assert not allowed(Call("kms:CreateGrant", KEY, (("kms:ViaService", "s3.us-east-1.amazonaws.com"),)))
    assert not allowed(Call("kms:CreateGrant", KEY, (("kms:ViaService", "ecr.eu-west-1.amazonaws.com"),)))
    assert not allowed(Call("kms:CreateGrant", f"arn:aws:kms:{REGION}:999999999999:key/x", via))  # another account's
    assert not allowed(Call("kms:Decrypt", KEY, via))  # only the three actions ECR needs
    # KmsKeyArns narrows (or widens, to another account's key) the keys
    assert allowed(Call("kms:CreateGrant", KEY, via), KmsKeyArns=[KEY])
    assert not allowed(Call("kms:CreateGrant", other_key, via), KmsKeyArns=[KEY])
    foreign = "arn:aws:kms:us-east-1:999999999999:key/shared"
    assert allowed(Call("kms:RetireGrant", foreign, via), KmsKeyArns=[KEY, foreign])


@pytest.mark.parametrize("template", TEMPLATES)
def test_role_grants_no_ecr_action_the_handler_does_not_use(template, recorded_calls):
    statements = role_statements(load_template(ROOT / "templates" / template),
                                 partition="aws", region=REGION, account=ACCOUNT)
    granted = {a for s in statements if s.effect == "Allow" for a in s.actions if a.startswith("ecr:")}
    used = {c.action for c in recorded_calls if c.action.startswith("ecr:")}
    assert granted == used


@pytest.mark.parametrize("template", TEMPLATES)
def test_role_has_no_wildcard_action_and_ecr_only_on_this_registry(template):
    statements = role_statements(load_template(ROOT / "templates" / template),
                                 partition="aws-cn", region="cn-north-1", account="210987654321")
    assert all(not a.endswith("*") for s in statements for a in s.actions)
    ecr_resources = {r for s in statements if any(a.startswith("ecr:") for a in s.actions) for r in s.resources}
    assert ecr_resources == {"arn:aws-cn:ecr:cn-north-1:210987654321:repository/*", "*"}
    # "*" only for the registry-level actions, which take no resource ARN; never a repository action.
    on_any = {a for s in statements if "*" in s.resources for a in s.actions}
    on_repositories = {a for s in statements if any("repository/" in r for r in s.resources) for a in s.actions}
    assert on_any and not on_any & on_repositories
    assert all("Registry" in a or "Replication" in a or "PullThroughCache" in a or "CreationTemplate" in a
               or "PullTimeUpdateExclusion" in a or "AccountSetting" in a for a in on_any)
    iam = {(a, r) for s in statements for a in s.actions if a.startswith("iam:") for r in s.resources}
    assert iam == {("iam:CreateServiceLinkedRole", "arn:aws-cn:iam::210987654321:role/aws-service-role/"
                                                   "replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication"),
                   ("iam:PassRole", "arn:aws-cn:iam::210987654321:role/*")}
    kms = [s for s in statements if any(a.startswith("kms:") for a in s.actions)]
    assert [(s.resources, s.string_equals) for s in kms] == [
        (("arn:aws-cn:kms:cn-north-1:210987654321:key/*",), (("kms:ViaService", ("ecr.cn-north-1.amazonaws.com",)),))]


REPO = "arn:aws:ecr:us-east-1:123456789012:repository/"
ALLOW_REPOS = Statement("Allow", ("ecr:CreateRepository", "ecr:Describe*"), (REPO + "*",))


@pytest.mark.parametrize(
    "statements,call,allowed",
    [
        ([ALLOW_REPOS], Call("ecr:CreateRepository", REPO + "app/api"), True),
        ([ALLOW_REPOS], Call("ECR:createrepository", REPO + "app/api"), True),  # actions ignore case
        ([ALLOW_REPOS], Call("ecr:DescribeRepositories", REPO + "*"), True),
        ([ALLOW_REPOS], Call("ecr:DeleteRepository", REPO + "app/api"), False),  # action not listed
        ([ALLOW_REPOS], Call("ecr:CreateRepository", "arn:aws:ecr:us-east-1:999999999999:repository/x"), False),
        ([ALLOW_REPOS], Call("ecr:CreateRepository", "arn:aws:ecr:eu-west-1:123456789012:repository/x"), False),
        ([ALLOW_REPOS], Call("ecr:CreateRepository", REPO.upper() + "X"), False),  # resources keep case
        ([ALLOW_REPOS], Call("ecr:GetAuthorizationToken", "*"), False),
        ([ALLOW_REPOS, Statement("Deny", ("ecr:*",), (REPO + "app/*",))],
         Call("ecr:CreateRepository", REPO + "app/api"), False),  # an explicit Deny wins
        ([Statement("Allow", ("s3:GetObject",), ("arn:aws:s3:::b/k?",))], Call("s3:GetObject", "arn:aws:s3:::b/k1"), True),
        ([], Call("sts:GetCallerIdentity", "*"), True),  # needs no permission
        ([], Call("ecr:CreateRepository", REPO + "app/api"), False),
    ],
)
def test_evaluator(statements, call, allowed):
    assert is_allowed(statements, call) is allowed
