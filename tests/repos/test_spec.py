"""Unit tests of ecr_repos.repos.spec: typed desired state and the checks a schema cannot express."""

from __future__ import annotations

import json

import pytest

from ecr_repos.repos import spec
from ecr_repos.core.errors import InvalidProperties

GOOD_TEXT = json.dumps({"rules": [{"rulePriority": 1, "description": "keep 10",
                                   "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                                   "action": {"type": "expire"}}]})


def props(repos, **top):
    return {"ServiceToken": "t", "EcrRepositories": repos, **top}


def test_defaults():
    s = spec.parse(props({"app/api": {}}))
    repo = s.repos["app/api"]
    assert (repo.immutable, repo.scan_on_push, repo.repository_policy, repo.tags) == (True, True, None, ())
    assert [r["selection"]["tagStatus"] for r in json.loads(repo.lifecycle_policy)["rules"]] == ["untagged"]
    assert s.adopt_existing is False
    assert spec.empty_on_delete_of(props({"app/api": {}}), "app/api") is False


def test_string_typed_values_and_tag_merge():
    properties = props({"app/api": {"IsImmutable": "false", "ScanOnPush": "false", "Tags": {"team": "api", "x": "1"},
                                    "EmptyOnDelete": "false"}}, Tags={"team": "platform", "cost": "42"},
                       EmptyOnDelete="true", AdoptExisting="true")
    s = spec.parse(properties)
    repo = s.repos["app/api"]
    assert (repo.immutable, repo.scan_on_push) == (False, False)
    assert repo.tag_map == {"team": "api", "x": "1", "cost": "42"}
    assert s.adopt_existing
    assert spec.empty_on_delete_of(properties, "app/api") is False  # the repository's "false" wins


def test_resource_empty_on_delete_is_the_default_per_repository():
    properties = props({"a1": {}, "b1": {"EmptyOnDelete": "false"}}, EmptyOnDelete="true")
    assert (spec.empty_on_delete_of(properties, "a1"), spec.empty_on_delete_of(properties, "b1")) == (True, False)


def test_raw_lifecycle_text_replaces_generated():
    s = spec.parse(props({"app/api": {"LifecyclePolicyText": GOOD_TEXT}}))
    assert json.loads(s.repos["app/api"].lifecycle_policy) == json.loads(GOOD_TEXT)


@pytest.mark.parametrize(
    "repo,path,message",
    [
        ({"ExpirationRules": [{"TagPattern": f"t{i}*", "Days": 1} for i in range(49)], "ExpireAllImages": "true"},
         "EcrRepositories.app/api.ExpirationRules", "makes 51 lifecycle rules with the built-in ones; ECR allows 50"),
        ({"LifecyclePolicyText": GOOD_TEXT.replace('"any"', '"tagged"')},
         "EcrRepositories.app/api.LifecyclePolicyText",
         "rules[0]: a tagged rule needs exactly one of tagPrefixList and tagPatternList"),
        ({"LifecyclePolicyText": GOOD_TEXT, "ExpireAllImages": "true"}, "EcrRepositories.app/api.LifecyclePolicyText",
         "replaces the generated policy; remove ExpireAllImages, or the text"),
        ({"LifecyclePolicyText": "x" * 120}, "EcrRepositories.app/api.LifecyclePolicyText",
         "is not valid JSON (Expecting value at character 0)"),
        ({"Tags": {f"k{i}": "v" for i in range(40)}}, "EcrRepositories.app/api.Tags",
         "makes 45 tags with the resource's Tags; at most 44"),
    ],
)
def test_code_level_problems(repo, path, message):
    with pytest.raises(InvalidProperties) as info:
        spec.parse(props({"app/api": repo}, Tags={f"r{i}": "v" for i in range(5)}))
    assert [(p.path, p.message) for p in info.value.problems] == [(path, message)]
    assert len(str(info.value)) <= 256 and path in str(info.value)


def test_reason_stays_short_and_names_the_field():
    bad = props({f"r{i:03d}/" + "x" * 200: {"IsImmutable": "nope"} for i in range(30)})
    with pytest.raises(InvalidProperties) as info:
        spec.parse(bad)
    reason = str(info.value)
    assert len(reason) <= 256
    assert reason.startswith("Invalid properties: EcrRepositories.r000/") and reason.endswith("(+29 more problems)")


@pytest.mark.parametrize(
    "properties,names",
    [
        (None, []),
        ({"EcrRepositories": "x"}, []),
        ({"EcrRepositories": {"app/api": {}, "a": {}, "ecr-repos:x": {}}}, ["app/api"]),
    ],
)
def test_declared_names_best_effort(properties, names):
    assert spec.declared_names(properties) == names


@pytest.mark.parametrize(
    "properties,expected",
    [
        ({"EmptyOnDelete": "true", "EcrRepositories": {"a1": {}}}, True),
        ({"EmptyOnDelete": "true", "EcrRepositories": {"a1": {"EmptyOnDelete": "false"}}}, False),
        ({"EcrRepositories": {"a1": {"EmptyOnDelete": True}}}, True),
        ({"EmptyOnDelete": "yes", "EcrRepositories": {"a1": {}}}, False),
        ({"EcrRepositories": []}, False),
    ],
)
def test_empty_on_delete_of(properties, expected):
    assert spec.empty_on_delete_of(properties, "a1") is expected


# --- RepositoryDefaults and the new settings (issue 12) ---------------------------------------------


def rules_of(repo):
    return [(r["selection"]["tagStatus"], r["selection"].get("tagPatternList"), r["selection"]["countType"],
             r["selection"]["countNumber"]) for r in json.loads(repo.lifecycle_policy)["rules"]]


def test_defaults_apply_and_own_settings_replace_them_lists_included():
    s = spec.parse(props(
        {"a1": {}, "b1": {"ExpirationRules": [{"TagPattern": "x*", "KeepLast": "2"}], "KeepUntagged": "1"}},
        RepositoryDefaults={"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}], "KeepUntagged": 4}))
    assert rules_of(s.repos["a1"]) == [("untagged", None, "imageCountMoreThan", 4),
                                       ("tagged", ["dev-*"], "sinceImagePushed", 7)]
    assert rules_of(s.repos["b1"]) == [("untagged", None, "imageCountMoreThan", 1),
                                       ("tagged", ["x*"], "imageCountMoreThan", 2)]


def test_policy_text_and_generated_rules_replace_each_other_across_levels():
    s = spec.parse(props({"a1": {"LifecyclePolicyText": GOOD_TEXT}, "b1": {}},
                         RepositoryDefaults={"KeepUntagged": 4}))
    assert json.loads(s.repos["a1"].lifecycle_policy) == json.loads(GOOD_TEXT)
    s = spec.parse(props({"a1": {"KeepUntagged": 2}, "b1": {}}, RepositoryDefaults={"LifecyclePolicyText": GOOD_TEXT}))
    assert rules_of(s.repos["a1"]) == [("untagged", None, "imageCountMoreThan", 2)]
    assert json.loads(s.repos["b1"].lifecycle_policy) == json.loads(GOOD_TEXT)


def test_default_exclusions_apply_where_they_fit():
    s = spec.parse(props({"a1": {}, "b1": {"IsImmutable": False}, "c1": {"MutableTagPatterns": ["main"]}},
                         RepositoryDefaults={"MutableTagPatterns": ["latest", "dev-*"], "ImmutableTagPatterns": ["v*"]}))
    assert (s.repos["a1"].mutability, s.repos["a1"].tag_exclusions) == ("IMMUTABLE_WITH_EXCLUSION", ("dev-*", "latest"))
    assert (s.repos["b1"].mutability, s.repos["b1"].tag_exclusions) == ("MUTABLE_WITH_EXCLUSION", ("v*",))
    assert s.repos["c1"].tag_exclusions == ("main",)


def test_encryption_and_its_key_are_one_setting():
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    s = spec.parse(props({"a1": {}, "b1": {"Encryption": "KMS_DSSE"}, "c1": {"Encryption": "AES256"}},
                         RepositoryDefaults={"Encryption": "KMS", "KmsKey": key}))
    assert [(s.repos[n].encryption, s.repos[n].kms_key) for n in ("a1", "b1", "c1")] == [
        ("KMS", key), ("KMS_DSSE", None), ("AES256", None)]


def test_tags_merge_resource_then_defaults_then_repository():
    properties = props({"a1": {"Tags": {"c": "repo"}}}, Tags={"a": "res", "b": "res", "c": "res"},
                       RepositoryDefaults={"Tags": {"b": "def", "c": "def"}, "EmptyOnDelete": True})
    assert spec.parse(properties).repos["a1"].tag_map == {"a": "res", "b": "def", "c": "repo"}
    assert spec.empty_on_delete_of(properties, "a1") is True


def test_a_bad_default_is_reported_once_at_its_own_path():
    with pytest.raises(InvalidProperties) as info:
        spec.parse(props({"a1": {}, "b1": {}}, RepositoryDefaults={"LifecyclePolicyText": GOOD_TEXT.replace(
            '"any"', '"tagged"')}))
    assert [p.path for p in info.value.problems] == ["RepositoryDefaults.LifecyclePolicyText"]


@pytest.mark.parametrize("want,have,ok", [
    (("AES256", None), ("AES256", None), True),
    (("KMS", None), ("KMS", "arn:aws:kms:r:1:key/abc"), True),
    (("KMS", "abc"), ("KMS", "arn:aws:kms:r:1:key/abc"), True),
    (("KMS", "abd"), ("KMS", "arn:aws:kms:r:1:key/abc"), False),
    (("KMS", "arn:aws:kms:r:1:key/abc"), ("KMS", "arn:aws:kms:r:1:key/abc"), True),
    (("KMS", "arn:aws:kms:r:1:key/abd"), ("KMS", "arn:aws:kms:r:1:key/abc"), False),
    (("KMS", "alias/app"), ("KMS", "arn:aws:kms:r:1:key/abc"), True),
    (("KMS", None), ("KMS_DSSE", "arn:aws:kms:r:1:key/abc"), False),
    (("AES256", None), ("KMS", "arn:aws:kms:r:1:key/abc"), False),
])
def test_encryption_matches(want, have, ok):
    assert spec.encryption_matches(*want, *have) is ok


def test_reconcile_token_is_any_string_and_defaults_to_empty():
    assert spec.parse(props({"app/api": {}})).reconcile_token == ""
    assert spec.parse(props({"app/api": {}}, ReconcileToken="2026-12-02 after the audit")).reconcile_token == (
        "2026-12-02 after the audit")
    with pytest.raises(InvalidProperties) as raised:
        spec.parse(props({"app/api": {}}, ReconcileToken="x" * 257))
    assert "ReconcileToken" in str(raised.value) and "at most 256 characters" in str(raised.value)


# --- NamePrefix (issue 20 item 10) -----------------------------------------------------------------


def test_name_prefix_goes_before_every_key_and_problems_name_the_key():
    s = spec.parse(props({"app/api": {"ScanOnPush": False}, "tools": {}}, NamePrefix="dev/"))
    assert s.names == ["dev/app/api", "dev/tools"] and s.name_prefix == "dev/"
    assert s.repos["dev/app/api"].name == "dev/app/api" and s.repos["dev/app/api"].scan_on_push is False
    _, problems = spec.check(props({"app/api": {"ExpirationRules": [{"TagPattern": "a", "Days": 0}]}},
                                   NamePrefix="dev/"))
    assert [p.path for p in problems] == ["EcrRepositories.app/api.ExpirationRules[0].Days"]


def test_best_effort_readers_of_old_properties_use_the_full_names():
    old = props({"app/api": {"EmptyOnDelete": True, "Tags": {"a": "1"}}, "tools": {}}, NamePrefix="dev/",
                Unknown="from an older release")
    assert spec.declared_names(old) == ["dev/app/api", "dev/tools"]
    assert spec.empty_on_delete_of(old, "dev/app/api") is True
    assert spec.empty_on_delete_of(old, "dev/tools") is False
    previous = spec.previous(old)
    assert previous.names == ["dev/app/api", "dev/tools"]
    assert previous.repos["dev/app/api"].tag_map == {"a": "1"}
