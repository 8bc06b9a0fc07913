"""Unit tests of provider.spec: typed desired state and the checks a schema cannot express."""

from __future__ import annotations

import json

import pytest

from provider import spec
from provider.errors import InvalidProperties

GOOD_TEXT = json.dumps({"rules": [{"rulePriority": 1, "description": "keep 10",
                                   "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                                   "action": {"type": "expire"}}]})


def props(repos, **top):
    return {"ServiceToken": "t", "EcrRepositories": repos, **top}


def test_defaults():
    s = spec.parse(props({"app/api": {}}))
    repo = s.repos["app/api"]
    assert (repo.immutable, repo.scan_on_push, repo.repository_policy, repo.tags, repo.empty_on_delete) == (
        True, True, None, (), False)
    assert [r["selection"]["tagStatus"] for r in json.loads(repo.lifecycle_policy)["rules"]] == ["untagged"]
    assert (s.adopt_existing, s.empty_on_delete) == (False, False)


def test_string_typed_values_and_tag_merge():
    s = spec.parse(props({"app/api": {"IsImmutable": "false", "ScanOnPush": "false", "Tags": {"team": "api", "x": "1"},
                                      "EmptyOnDelete": "false"}}, Tags={"team": "platform", "cost": "42"},
                         EmptyOnDelete="true", AdoptExisting="true"))
    repo = s.repos["app/api"]
    assert (repo.immutable, repo.scan_on_push, repo.empty_on_delete) == (False, False, False)
    assert repo.tag_map == {"team": "api", "x": "1", "cost": "42"}
    assert s.adopt_existing and s.empty_on_delete


def test_resource_empty_on_delete_is_the_default_per_repository():
    s = spec.parse(props({"a1": {}, "b1": {"EmptyOnDelete": "false"}}, EmptyOnDelete="true"))
    assert (s.repos["a1"].empty_on_delete, s.repos["b1"].empty_on_delete) == (True, False)


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
         "replaces the generated policy; remove ExpirationRules and ExpireAllImages, or the text"),
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


def test_reconcile_token_is_any_string_and_defaults_to_empty():
    assert spec.parse(props({"app/api": {}})).reconcile_token == ""
    assert spec.parse(props({"app/api": {}}, ReconcileToken="2026-12-02 after the audit")).reconcile_token == (
        "2026-12-02 after the audit")
    with pytest.raises(InvalidProperties) as raised:
        spec.parse(props({"app/api": {}}, ReconcileToken="x" * 257))
    assert "ReconcileToken" in str(raised.value) and "at most 256 characters" in str(raised.value)
