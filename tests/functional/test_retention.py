"""Issue 12 end to end: retention rules, tag-mutability exclusions, encryption and RepositoryDefaults,
through the Lambda entry point against moto's ECR (taught ECR's lifecycle grammar by
tests/support/ecr_fidelity.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.cfn import Resource
from tests.support.registry import recorded_calls, snapshot

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

RETENTION = {
    "Tags": {"team": "platform"},
    "RepositoryDefaults": {
        "KeepUntagged": 5,
        "ExpirationRules": [{"TagPattern": "pr-*", "DaysSincePull": 10}],
        "MutableTagPatterns": ["latest", "dev-*"],
        "ImmutableTagPatterns": ["v*"],
        "Encryption": "KMS",
        "KmsKey": KEY,
        "Tags": {"tier": "default", "owner": "defaults"},
    },
    "EcrRepositories": {
        "app/api": {
            "ExpirationRules": [{"TagPattern": "release-*", "KeepLast": 10}, {"TagPattern": "dev-*", "Days": 7}],
            "ArchiveRules": [{"TagPattern": "release-*", "DaysSincePull": 30}],
            "ExpireArchivedAfterDays": 365,
            "ExpireAllImages": True,
            "Tags": {"tier": "api"},
        },
        "app/web": {"IsImmutable": False, "Encryption": "AES256"},
        "app/batch": {"Encryption": "KMS"},
    },
}


def ecr_repo(ecr, name):
    return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]


def rules(ecr, name):
    text = ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    return json.loads(text)["rules"]


def test_create_applies_retention_exclusions_encryption_and_defaults(aws, ecr):
    response = Resource().create(RETENTION)
    assert response.ok, response.reason

    api, web, batch = (ecr_repo(ecr, n) for n in ("app/api", "app/web", "app/batch"))
    # tag exclusions: the defaults' MutableTagPatterns on the immutable ones, ImmutableTagPatterns on the mutable one
    assert api["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert {f["filter"] for f in api["imageTagMutabilityExclusionFilters"]} == {"latest", "dev-*"}
    assert web["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert [f["filter"] for f in web["imageTagMutabilityExclusionFilters"]] == ["v*"]
    # encryption: the default key, replaced by the repository's own Encryption (KmsKey goes with it)
    assert api["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": KEY}
    assert web["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert batch["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert batch["encryptionConfiguration"].get("kmsKey") != KEY

    # the repository's own ExpirationRules replace the defaults' (lists are not merged)
    assert [(r["rulePriority"], r["selection"], r["action"]) for r in rules(ecr, "app/api")] == [
        (1, {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5}, {"type": "expire"}),
        (2, {"tagStatus": "tagged", "tagPatternList": ["release-*"], "countType": "imageCountMoreThan",
             "countNumber": 10}, {"type": "expire"}),
        (3, {"tagStatus": "tagged", "tagPatternList": ["dev-*"], "countType": "sinceImagePushed",
             "countUnit": "days", "countNumber": 7}, {"type": "expire"}),
        (4, {"tagStatus": "tagged", "tagPatternList": ["release-*"], "storageClass": "standard",
             "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30},
         {"type": "transition", "targetStorageClass": "archive"}),
        (5, {"tagStatus": "tagged", "tagPatternList": ["*"], "storageClass": "archive",
             "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365}, {"type": "expire"}),
        (6, {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
         {"type": "expire"}),
    ]
    assert [(r["selection"]["countType"], r["selection"].get("tagPatternList")) for r in rules(ecr, "app/web")] == [
        ("imageCountMoreThan", None), ("sinceImagePulled", ["pr-*"])]
    # Tags: resource < defaults < repository
    tags = snapshot(ecr)["app/api"]["tags"]
    assert (tags["team"], tags["tier"], tags["owner"]) == ("platform", "api", "defaults")


def test_unchanged_resend_writes_nothing_with_every_new_setting(aws, ecr):
    resource = Resource()
    assert resource.create(RETENTION).ok
    before = snapshot(ecr)
    # a Create delivered again reads everything (tags, policies) and must still find nothing to do
    with recorded_calls() as calls:
        again = resource.send(resource.history[0][0])
    assert again.ok, again.reason
    assert calls.writes == []
    # so must an Update with the same properties (a rollback resend)
    with recorded_calls() as calls:
        assert resource.update(RETENTION).ok
    assert calls.writes == []
    assert snapshot(ecr) == before


def test_exclusion_filters_compare_as_sets(aws, ecr):
    resource = Resource()
    assert resource.create({"EcrRepositories": {"app/api": {"MutableTagPatterns": ["b*", "a*"]}}}).ok
    with recorded_calls() as calls:
        response = resource.update({"EcrRepositories": {"app/api": {"MutableTagPatterns": ["a*", "b*"]}}})
    assert response.ok, response.reason
    assert calls.writes == []


def test_changing_exclusions_writes_only_the_mutability(aws, ecr):
    resource = Resource()
    assert resource.create({"EcrRepositories": {"app/api": {"MutableTagPatterns": ["latest"]}}}).ok
    with recorded_calls() as calls:
        response = resource.update({"EcrRepositories": {"app/api": {}}})
    assert response.ok, response.reason
    assert calls.writes == ["PutImageTagMutability"]
    repo = ecr_repo(ecr, "app/api")
    assert repo["imageTagMutability"] == "IMMUTABLE" and not repo.get("imageTagMutabilityExclusionFilters")


def test_encryption_change_on_update_fails_before_any_write(aws, ecr):
    resource = Resource()
    assert resource.create({"EcrRepositories": {"app/api": {}}}).ok
    before = snapshot(ecr)
    with recorded_calls() as calls:
        response = resource.update({"EcrRepositories": {"app/api": {"Encryption": "KMS", "ScanOnPush": False}}})
    assert response.status == "FAILED"
    assert response.reason == (
        "Repository 'app/api' is encrypted AES256, not KMS, and ECR cannot change it; nothing was changed. "
        "Declare Encryption/KmsKey as it has, or use a new repository name."
    )
    assert calls.writes == []
    assert snapshot(ecr) == before
    # CloudFormation's rollback resends the old properties: they still match
    assert resource.rollback().ok


def test_adopting_a_repository_with_other_encryption_fails_and_names_both(aws, ecr):
    ecr.create_repository(repositoryName="app/api", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KEY})
    with recorded_calls() as calls:
        response = Resource().create({"AdoptExisting": True, "EcrRepositories": {"app/api": {}}})
    assert response.status == "FAILED"
    assert f"encrypted KMS {KEY}, not AES256" in response.reason
    assert calls.writes == []
    assert "ecr-repos:owner" not in snapshot(ecr)["app/api"]["tags"]


@pytest.mark.parametrize("declared,ok", [
    ({"Encryption": "KMS"}, True),  # no key declared: any KMS key (ECR's own aws/ecr one included)
    ({"Encryption": "KMS", "KmsKey": KEY}, True),
    ({"Encryption": "KMS", "KmsKey": KEY.rsplit("/", 1)[1]}, True),  # a key id matches the key's ARN
    ({"Encryption": "KMS", "KmsKey": "alias/other"}, True),  # an alias is not resolvable: the type decides
    ({"Encryption": "KMS", "KmsKey": KEY.replace("1234abcd", "99999999")}, False),
    ({"Encryption": "AES256"}, False),
])
def test_adoption_compares_encryption_sensibly(aws, ecr, declared, ok):
    ecr.create_repository(repositoryName="app/api", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KEY})
    response = Resource().create({"AdoptExisting": True, "EcrRepositories": {"app/api": declared}})
    assert response.ok is ok, response.reason


BAD = [
    ({"ExpirationRules": [{"TagPattern": "a*", "KeepLast": 3, "Days": 4}]}, "EcrRepositories.app/api.ExpirationRules[0]",
     "takes only one of Days, DaysSincePull or KeepLast, got Days and KeepLast; keep one"),
    ({"ExpirationRules": [{"TagPattern": "a*"}]}, "EcrRepositories.app/api.ExpirationRules[0]",
     "needs one of Days, DaysSincePull or KeepLast; add one"),
    ({"IsImmutable": False, "MutableTagPatterns": ["latest"]}, "EcrRepositories.app/api.MutableTagPatterns",
     "keeps tags mutable in an immutable repository, but IsImmutable is false; use ImmutableTagPatterns, "
     "or set IsImmutable: true"),
    ({"MutableTagPatterns": ["a", "b", "c", "d", "e", "f"]}, "EcrRepositories.app/api.MutableTagPatterns",
     "holds 6 items; at most 5 are allowed"),
    ({"MutableTagPatterns": ["feature/x"]}, "EcrRepositories.app/api.MutableTagPatterns[0]",
     "must be 1-128 letters, digits, '.', '_', '-' or '*' (ECR's tag filter), got 'feature/x'"),
    ({"ExpireArchivedAfterDays": 30}, "EcrRepositories.app/api.ExpireArchivedAfterDays",
     "must be at least 90, ECR's minimum archive duration, got 30"),
    ({"KmsKey": "alias/x"}, "EcrRepositories.app/api.KmsKey",
     "needs Encryption: KMS or KMS_DSSE beside it; set Encryption, or remove KmsKey"),
    ({"Encryption": "DES"}, "EcrRepositories.app/api.Encryption", "must be one of AES256, KMS, KMS_DSSE, got 'DES'"),
    ({"KeepUntagged": 0}, "EcrRepositories.app/api.KeepUntagged", "must be at least 1 (ECR keeps 1 or more), got 0"),
]


@pytest.mark.parametrize("settings,path,message", BAD)
def test_bad_input_fails_before_any_write_naming_field_and_fix(aws, ecr, settings, path, message):
    with recorded_calls() as calls:
        response = Resource().create({"EcrRepositories": {"app/api": settings, "app/ok": {}}})
    assert response.status == "FAILED"
    assert response.reason == f"Invalid properties: {path}: {message}"
    assert calls.writes == []
    assert snapshot(ecr) == {}


@pytest.mark.parametrize("settings,path,message", [
    ({"KeepUntagged": 0}, "RepositoryDefaults.KeepUntagged", "must be at least 1 (ECR keeps 1 or more), got 0"),
    ({"IsImmutable": True, "ImmutableTagPatterns": ["v*"]}, "RepositoryDefaults.ImmutableTagPatterns",
     "makes tags immutable in a mutable repository, but IsImmutable is true; use MutableTagPatterns, "
     "or set IsImmutable: false"),
])
def test_errors_inside_defaults_name_repository_defaults(aws, ecr, settings, path, message):
    response = Resource().create({"RepositoryDefaults": settings, "EcrRepositories": {"app/api": {}}})
    assert response.reason == f"Invalid properties: {path}: {message}"
    assert snapshot(ecr) == {}


def test_merged_settings_that_clash_are_named_where_they_come_from(aws, ecr):
    # the defaults make every repository mutable; one declares MutableTagPatterns itself
    response = Resource().create({"RepositoryDefaults": {"IsImmutable": False},
                                  "EcrRepositories": {"app/api": {"MutableTagPatterns": ["latest"]}}})
    assert response.reason == (
        "Invalid properties: EcrRepositories.app/api.MutableTagPatterns: does not apply: IsImmutable is false "
        "(from RepositoryDefaults); use ImmutableTagPatterns, or set IsImmutable: true")
    assert snapshot(ecr) == {}


ARCHIVE_TEXT = json.dumps({"rules": [
    {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
                                      "countNumber": 60}, "action": {"type": "transition", "targetStorageClass": "archive"}},
]})


def test_raw_policy_text_with_the_new_grammar_is_written(aws, ecr):
    response = Resource().create({"EcrRepositories": {"app/api": {"LifecyclePolicyText": ARCHIVE_TEXT}}})
    assert response.ok, response.reason
    assert rules(ecr, "app/api")[0]["action"] == {"type": "transition", "targetStorageClass": "archive"}


@pytest.mark.parametrize("change,message", [
    ({"countType": "sinceImageTransitioned"}, 'sinceImageTransitioned goes with "storageClass": "archive", and only it'),
    ({"storageClass": "glacier"}, 'selection.storageClass must be "standard" or "archive"'),
])
def test_raw_policy_text_is_checked_against_the_new_grammar(aws, ecr, change, message):
    doc = json.loads(ARCHIVE_TEXT)
    doc["rules"][0]["selection"].update(change)
    response = Resource().create({"EcrRepositories": {"app/api": {"LifecyclePolicyText": json.dumps(doc)}}})
    assert response.status == "FAILED"
    assert message in response.reason
    assert snapshot(ecr) == {}


# --- the tests' moto knows ECR's grammar (tests/support/ecr_fidelity.py) ----------------------------


def _put(ecr, rule):
    ecr.create_repository(repositoryName="grammar")
    ecr.put_lifecycle_policy(repositoryName="grammar", lifecyclePolicyText=json.dumps({"rules": [rule]}).ljust(100))


def test_fidelity_moto_accepts_transitions_and_the_new_count_types(ecr):
    _put(ecr, {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "storageClass": "archive",
                                                "countType": "sinceImageTransitioned", "countUnit": "days",
                                                "countNumber": 90}, "action": {"type": "expire"}})


@pytest.mark.parametrize("selection,action", [
    ({"storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 89},
     {"type": "expire"}),
    ({"countType": "sinceImagePulled", "countNumber": 5}, {"type": "expire"}),  # no countUnit
    ({"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5}, {"type": "transition"}),
    ({"storageClass": "archive", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 100},
     {"type": "expire"}),
])
def test_fidelity_moto_rejects_what_ecr_rejects(ecr, selection, action):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        _put(ecr, {"rulePriority": 1, "selection": {"tagStatus": "any", **selection}, "action": action})
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


# --- Issue 20 item 5: KMS_DSSE only where ECR offers it (the AWS GovCloud (US) Regions) ---------------

from dataclasses import dataclass  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


@dataclass
class GovResource(Resource):
    """A stack in a region of the aws-us-gov partition (its stack ARN says so)."""

    @property
    def stack_id(self) -> str:
        return f"arn:{'aws-us-gov' if self.region.startswith('us-gov-') else 'aws'}:cloudformation:{self.region}:" \
               f"{self.account}:stack/{self.stack_name}/{self.stack_uuid}"


DSSE_PROPS = {"EcrRepositories": {"app/api": {}, "app/batch": {"Encryption": "KMS_DSSE"}}}
DSSE_REASON = ("Invalid properties: EcrRepositories.app/batch.Encryption: KMS_DSSE (dual-layer) is offered only in "
               "the AWS GovCloud (US) Regions, not in {region}; use KMS, or deploy the stack in us-gov-west-1 or "
               "us-gov-east-1")


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "cn-north-1"])
def test_dsse_outside_govcloud_fails_before_any_write_naming_the_field(aws, monkeypatch, region):
    monkeypatch.setenv("AWS_REGION", region)
    with recorded_calls() as calls:
        response = GovResource(region=region).create(DSSE_PROPS)
    assert response.status == "FAILED"
    assert response.reason == DSSE_REASON.format(region=region)
    assert calls.writes == []
    assert boto3.client("ecr", region_name=region).describe_repositories()["repositories"] == []


def test_dsse_from_repository_defaults_is_reported_at_the_default(aws):
    response = GovResource().create({"RepositoryDefaults": {"Encryption": "KMS_DSSE"},
                                     "EcrRepositories": {"app/api": {}, "app/web": {}}})
    assert response.reason == ("Invalid properties: RepositoryDefaults.Encryption: KMS_DSSE (dual-layer) is offered "
                               "only in the AWS GovCloud (US) Regions, not in us-east-1; use KMS, or deploy the stack "
                               "in us-gov-west-1 or us-gov-east-1")


def test_dsse_in_govcloud_creates_dual_layer_repositories(aws, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-gov-west-1")
    response = GovResource(region="us-gov-west-1").create(DSSE_PROPS)
    assert response.ok, response.reason
    assert response.data["Registry"] == "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"
    gov = boto3.client("ecr", region_name="us-gov-west-1")
    batch = gov.describe_repositories(repositoryNames=["app/batch"])["repositories"][0]
    assert batch["encryptionConfiguration"]["encryptionType"] == "KMS_DSSE"
    assert batch["repositoryArn"].startswith("arn:aws-us-gov:ecr:us-gov-west-1:")


def test_the_tests_moto_refuses_dsse_outside_govcloud_as_ecr_does(aws):
    """tests/support/ecr_fidelity.py, section "dual-layer encryption"."""
    with pytest.raises(ClientError) as error:
        boto3.client("ecr", region_name="us-east-1").create_repository(
            repositoryName="app/x", encryptionConfiguration={"encryptionType": "KMS_DSSE"})
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "encryptionConfiguration.encryptionType" in error.value.response["Error"]["Message"]
    gov = boto3.client("ecr", region_name="us-gov-east-1")
    gov.create_repository(repositoryName="app/x", encryptionConfiguration={"encryptionType": "KMS_DSSE"})
    assert gov.describe_repositories()["repositories"][0]["encryptionConfiguration"]["encryptionType"] == "KMS_DSSE"
