"""The Lambda entry point end to end: CloudFormation-shaped events against moto's ECR."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.cfn import Resource, invoke_one
from tests.support.registry import allows, push_image, rule_summary, snapshot, user_tags

PULL, PUSH, OTHER = "111111111111", "222222222222", "333333333333"

FULL = {
    "Tags": {"team": "platform", "cost-centre": 42},
    "EcrRepositories": {
        "app/api": {
            "IsImmutable": True,
            "ExpireAllImages": False,
            "ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}, {"TagPattern": "pr-*-*", "Days": 2}],
            "AdditionalPushAccountIds": [PUSH],
            "AdditionalPullAccountIds": [PULL],
            "ScanOnPush": True,
            "Tags": {"service": "api"},
        },
        "app/worker": {"IsImmutable": False, "ExpireAllImages": True, "ScanOnPush": False},
        "tools/base": {},
    },
}


@pytest.fixture
def stack(aws):
    return Resource()


def test_create_applies_every_property_and_returns_attributes(stack, ecr):
    response = stack.create(FULL)
    assert response.ok, response.reason
    assert response.physical_id.startswith("ecr-repos:demo:Repos:")
    assert response.data == {
        "AccountId": "123456789012",
        "Region": "us-east-1",
        "Registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "Repos": "app/api,app/worker,tools/base",
        "RepoCount": "3",
        "ReposComplete": "true",
    }
    state = snapshot(ecr)
    api, worker, base = state["app/api"], state["app/worker"], state["tools/base"]
    assert (api["mutability"], api["scan_on_push"]) == ("IMMUTABLE", True)
    assert (worker["mutability"], worker["scan_on_push"]) == ("MUTABLE", False)
    assert (base["mutability"], base["scan_on_push"]) == ("IMMUTABLE", True)  # defaults
    assert rule_summary(api["lifecycle"]) == [
        (1, "untagged", (), "imageCountMoreThan", 3),
        (2, "tagged", ("dev-*",), "sinceImagePushed", 7),
        (3, "tagged", ("pr-*-*",), "sinceImagePushed", 2),
    ]
    assert rule_summary(worker["lifecycle"]) == [
        (1, "untagged", (), "imageCountMoreThan", 3),
        (2, "any", (), "sinceImagePushed", 14),
    ]
    assert rule_summary(base["lifecycle"]) == [(1, "untagged", (), "imageCountMoreThan", 3)]
    assert user_tags(api["tags"]) == {"team": "platform", "cost-centre": "42", "service": "api"}
    assert user_tags(base["tags"]) == {"team": "platform", "cost-centre": "42"}
    assert worker["policy"] is None and base["policy"] is None
    assert api["tags"]["ecr-repos:stack"] == "demo" and api["tags"]["ecr-repos:origin"].startswith("created:")


def test_repository_policy_grants_least_privilege(stack, ecr):
    assert stack.create(FULL).ok
    policy = snapshot(ecr)["app/api"]["policy"]
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"):
        assert allows(policy, PULL, action) and allows(policy, PUSH, action)
    for action in ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"):
        assert allows(policy, PUSH, action)
        assert not allows(policy, PULL, action), "a pull account must not push"
    for action in ("ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy",
                   "ecr:DeleteRepositoryPolicy", "ecr:PutLifecyclePolicy"):
        assert not allows(policy, PUSH, action), "a push account must not delete or change policies"
    assert not allows(policy, OTHER, "ecr:BatchGetImage")


def test_raw_lifecycle_policy_text_is_written_as_given(stack, ecr):
    text = json.dumps({"rules": [
        {"rulePriority": 10, "description": "keep 5 releases", "action": {"type": "expire"},
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5}},
        {"rulePriority": 20, "action": {"type": "expire"},
         "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 90}},
    ]})
    assert stack.create({"EcrRepositories": {"app/raw": {"LifecyclePolicyText": text}}}).ok
    assert json.loads(snapshot(ecr)["app/raw"]["lifecycle"]) == json.loads(text)


def test_native_json_types_are_accepted_too(aws, ecr):
    stack = Resource()
    event = stack.event("Create", {"EcrRepositories": {"app/api": {}}})
    event["ResourceProperties"]["EcrRepositories"]["app/api"] = {"IsImmutable": False, "ExpirationRules": [
        {"TagPattern": "x*", "Days": 3}]}
    response = invoke_one(event)
    assert response.ok, response.reason
    assert snapshot(ecr)["app/api"]["mutability"] == "MUTABLE"


def test_sns_wrapped_event(aws, ecr):
    stack = Resource()
    event = stack.event("Create", {"EcrRepositories": {"app/sns": {}}})
    response = invoke_one({"Records": [{"Sns": {"Message": json.dumps(event)}}]})
    assert response.ok and list(snapshot(ecr)) == ["app/sns"]


UPDATES = [
    ("IsImmutable", {"IsImmutable": False}, lambda r: r["mutability"] == "MUTABLE"),
    ("ScanOnPush", {"ScanOnPush": False}, lambda r: r["scan_on_push"] is False),
    ("ExpireAllImages", {"ExpireAllImages": True}, lambda r: rule_summary(r["lifecycle"])[-1][1] == "any"),
    ("ExpirationRules", {"ExpirationRules": [{"TagPattern": "rc-*", "Days": 30}]},
     lambda r: rule_summary(r["lifecycle"])[1] == (2, "tagged", ("rc-*",), "sinceImagePushed", 30)),
    ("AdditionalPullAccountIds", {"AdditionalPullAccountIds": [OTHER]},
     lambda r: allows(r["policy"], OTHER, "ecr:BatchGetImage") and not allows(r["policy"], OTHER, "ecr:PutImage")),
    ("AdditionalPushAccountIds", {"AdditionalPushAccountIds": [OTHER]},
     lambda r: allows(r["policy"], OTHER, "ecr:PutImage")),
    ("Tags", {"Tags": {"service": "new"}}, lambda r: r["tags"]["service"] == "new"),
]


@pytest.mark.parametrize("field,change,check", UPDATES, ids=[u[0] for u in UPDATES])
def test_update_of_each_setting(stack, ecr, field, change, check):
    start = {"EcrRepositories": {"app/api": {}, "app/other": {}}}
    assert stack.create(start).ok
    before = snapshot(ecr)
    digest = push_image(ecr, "app/api", "v1")
    response = stack.update({"EcrRepositories": {"app/api": change, "app/other": {}}})
    assert response.ok, response.reason
    assert response.physical_id == stack.history[0][1].physical_id, "settings change is an in-place update"
    after = snapshot(ecr)
    assert check(after["app/api"]), after["app/api"]
    assert after["app/other"] == before["app/other"]
    assert after["app/api"]["images"] == {digest}


def test_update_back_to_defaults_removes_policy_and_tags(stack, ecr):
    assert stack.create({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": [PULL], "Tags": {"a": "1"}}}}).ok
    assert stack.update({"EcrRepositories": {"app/api": {}}}).ok
    repo = snapshot(ecr)["app/api"]
    assert repo["policy"] is None and user_tags(repo["tags"]) == {}


def test_update_adds_repository_in_place(stack, ecr):
    created = stack.create({"EcrRepositories": {"app/api": {}}})
    updated = stack.update({"EcrRepositories": {"app/api": {}, "app/new": {}}})
    assert updated.ok and updated.physical_id == created.physical_id  # no replacement, no cleanup Delete
    assert updated.data["Repos"] == "app/api,app/new"
    assert stack.cleanup() is None
    assert sorted(snapshot(ecr)) == ["app/api", "app/new"]


def test_removed_repository_is_deleted_by_cleanup_when_empty(stack, ecr):
    assert stack.create({"EcrRepositories": {"app/api": {}, "app/old": {}}}).ok
    response = stack.update({"EcrRepositories": {"app/api": {}}})
    assert response.ok and sorted(snapshot(ecr)) == ["app/api", "app/old"], "nothing deleted during the Update"
    assert stack.cleanup().ok
    assert sorted(snapshot(ecr)) == ["app/api"]


def test_removed_repository_with_images_is_kept(stack, ecr):
    assert stack.create({"EcrRepositories": {"app/api": {}, "app/old": {}}}).ok
    digest = push_image(ecr, "app/old", "v1")
    assert stack.update({"EcrRepositories": {"app/api": {}}}).ok
    cleanup = stack.cleanup()
    assert cleanup.status == "FAILED" and "'app/old'" in cleanup.reason and "EmptyOnDelete" in cleanup.reason
    assert snapshot(ecr)["app/old"]["images"] == {digest}


def test_delete_removes_everything_when_empty(stack, ecr):
    assert stack.create(FULL).ok
    started = time.monotonic()
    response = stack.delete()
    assert response.ok and snapshot(ecr) == {}
    assert time.monotonic() - started < 30, "Delete must not wait crhelper's 120-second default"


def test_delete_refuses_to_drop_images(stack, ecr):
    assert stack.create({"EcrRepositories": {"app/api": {}, "app/empty": {}}}).ok
    digest = push_image(ecr, "app/api", "v1")
    response = stack.delete()
    assert response.status == "FAILED"
    assert "'app/api'" in response.reason and "EmptyOnDelete" in response.reason and len(response.reason) <= 256
    assert snapshot(ecr)["app/api"]["images"] == {digest}
    assert "app/empty" not in snapshot(ecr)


@pytest.mark.parametrize("where", ["resource", "repository"])
def test_empty_on_delete(stack, ecr, where):
    props = {"EcrRepositories": {"app/api": {"EmptyOnDelete": True} if where == "repository" else {}}}
    if where == "resource":
        props["EmptyOnDelete"] = True
    assert stack.create(props).ok
    push_image(ecr, "app/api", "v1")
    assert stack.delete().ok
    assert snapshot(ecr) == {}


def test_existing_unowned_repository_fails_before_any_write(stack, ecr):
    ecr.create_repository(repositoryName="app/api")
    digest = push_image(ecr, "app/api", "v1")
    before = snapshot(ecr)
    response = stack.create({"EcrRepositories": {"app/api": {"IsImmutable": False}, "app/new": {}}})
    assert response.status == "FAILED"
    assert "'app/api'" in response.reason and "AdoptExisting" in response.reason
    assert snapshot(ecr) == before and before["app/api"]["images"] == {digest}
    # CloudFormation then deletes the failed resource: nothing of the stranger's is touched.
    assert stack.delete().ok
    assert snapshot(ecr) == before


def test_repository_of_another_stack_is_never_touched(aws, ecr):
    first = Resource(stack_name="first")
    assert first.create({"EcrRepositories": {"shared/app": {}}}).ok
    before = snapshot(ecr)
    second = Resource(stack_name="second")
    response = second.create({"EcrRepositories": {"shared/app": {"IsImmutable": False}}, "AdoptExisting": True})
    assert response.status == "FAILED" and "'first'" in response.reason and "'shared/app'" in response.reason
    assert snapshot(ecr) == before


BAD_INPUTS = [
    ({"EcrRepositories": {"app/api": {"IsImmutable": "yes"}}}, "EcrRepositories.app/api.IsImmutable"),
    ({"EcrRepositories": {"app/api": {"ExpirationRules": [{"TagPattern": "x*", "Days": "7.5"}]}}},
     "EcrRepositories.app/api.ExpirationRules[0].Days"),
    ({"EcrRepositories": {"app/api": {"ExpirationRules": [{"TagPattern": "x*", "Days": "-1"}]}}},
     "EcrRepositories.app/api.ExpirationRules[0].Days"),
    ({"EcrRepositories": {"App_Api": {}}}, "EcrRepositories.App_Api"),
    ({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": ["1234"]}}},
     "EcrRepositories.app/api.AdditionalPullAccountIds[0]"),
    ({"EcrRepositories": {"app/api": {"Colour": "red"}}}, "EcrRepositories.app/api.Colour"),
    ({"EcrRepositories": {"app/api": {}}, "Extra": 1}, "Extra"),
    ({}, "EcrRepositories"),
    ({"EcrRepositories": {"app/api": {"LifecyclePolicyText": json.dumps({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                          "countNumber": 1}, "action": {"type": "expire"}}]})}}},
     "EcrRepositories.app/api.LifecyclePolicyText"),
]


@pytest.mark.parametrize("props,path", BAD_INPUTS, ids=[b[1] for b in BAD_INPUTS])
def test_bad_input_on_create_fails_and_changes_nothing(stack, ecr, props, path):
    props = {"EcrRepositories": {**props.get("EcrRepositories", {}), "app/fine": {}}, **{
        k: v for k, v in props.items() if k != "EcrRepositories"}} if props else props
    response = stack.create(props)
    assert response.status == "FAILED"
    assert path in response.reason and len(response.reason) <= 256
    assert response.physical_id, "a failed Create must still carry a physical id"
    assert snapshot(ecr) == {}
    assert stack.delete().ok, "the Delete after a failed Create must succeed"


@pytest.mark.parametrize("props,path", BAD_INPUTS[:5], ids=[b[1] for b in BAD_INPUTS[:5]])
def test_bad_input_on_update_fails_and_changes_nothing(stack, ecr, props, path):
    assert stack.create({"EcrRepositories": {"app/api": {}, "app/fine": {}}}).ok
    before = snapshot(ecr)
    response = stack.update({**props, "EcrRepositories": {**props["EcrRepositories"], "app/fine": {}, "app/new": {}}})
    assert response.status == "FAILED" and path in response.reason
    assert snapshot(ecr) == before
