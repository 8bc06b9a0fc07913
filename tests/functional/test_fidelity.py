"""ECR's and CloudFormation's own rules through the Lambda entry point (issue 9, items 1-3).

Repository names as ECR accepts them, values that hold a control character refused before any
write, and the answer given before CloudFormation's ServiceTimeout.
"""

from __future__ import annotations

import pytest

from tests.support.cfn import Resource
from tests.support.registry import digests, push_image, recorded_calls, snapshot, user_tags

# --- 1. repository names ------------------------------------------------------------------------


def test_adopting_an_existing_repository_with_a_double_underscore_works_end_to_end(ecr):
    # given a repository made outside CloudFormation (say by Terraform), holding an image
    ecr.create_repository(repositoryName="team/base__image", imageTagMutability="MUTABLE")
    image = push_image(ecr, "team/base__image", "v1")
    stack = Resource(stack_name="migrated")

    # when a stack adopts it, next to new repositories named with runs of hyphens
    props = {"AdoptExisting": True, "Tags": {"team": "base"},
             "EcrRepositories": {"team/base__image": {"IsImmutable": True}, "a--b": {}, "a---b/c": {}}}
    created = stack.create(props)

    # then ECR holds all three with their settings, and the image is kept
    assert created.ok, created.reason
    assert created.data["Repos"] == "a---b/c,a--b,team/base__image"
    state = snapshot(ecr)
    assert set(state) == {"team/base__image", "a--b", "a---b/c"}
    assert state["team/base__image"]["mutability"] == "IMMUTABLE"
    assert user_tags(state["team/base__image"]["tags"]) == {"team": "base"}
    assert digests(ecr, "team/base__image") == {image}

    # and the adopted repository is the stack's from now on: an Update and a Delete (which releases it) manage it
    updated = stack.update({**props, "EcrRepositories": {"team/base__image": {"IsImmutable": False}}})
    assert updated.ok, updated.reason
    cleanup = stack.cleanup()  # the set changed: a new physical id, the old one's Delete removes a--b, a---b/c
    assert cleanup is not None and cleanup.ok, cleanup
    assert set(snapshot(ecr)) == {"team/base__image"}
    assert snapshot(ecr)["team/base__image"]["mutability"] == "MUTABLE"
    deleted = stack.delete()
    assert deleted.ok, deleted.reason  # an adopted repository is released, never deleted
    assert digests(ecr, "team/base__image") == {image}


# --- 2. every pattern matches the whole value ----------------------------------------------------


def _with(**repo: object) -> dict[str, object]:
    return {"EcrRepositories": {"app/a": {}, "app/b": {}, "app/z": repo}}


@pytest.mark.parametrize(
    "props,where",
    [
        ({"EcrRepositories": {"app/a": {}, "bad\n": {}, "zzz/last": {}}}, "EcrRepositories.'bad\\n'"),
        ({"EcrRepositories": {"app/a": {}, "app/b\x00": {}}}, "EcrRepositories.'app/b\\x00'"),
        ({"EcrRepositories": {"app/a": {}, "app/b\tc": {}}}, "EcrRepositories.'app/b\\tc'"),
        (_with(AdditionalPullAccountIds=["111111111111\n"]), "EcrRepositories.app/z.AdditionalPullAccountIds[0]"),
        (_with(AdditionalPushAccountIds=["\n111111111111"]), "EcrRepositories.app/z.AdditionalPushAccountIds[0]"),
        (_with(AdditionalPullAccountIds=["11111111111\r1"]), "EcrRepositories.app/z.AdditionalPullAccountIds[0]"),
        (_with(ExpirationRules=[{"TagPattern": "dev-*\n", "Days": 7}]), "EcrRepositories.app/z.ExpirationRules[0].TagPattern"),
        (_with(ExpirationRules=[{"TagPattern": "v\x1b1", "Days": 7}]), "EcrRepositories.app/z.ExpirationRules[0].TagPattern"),
    ],
)
def test_a_control_character_anywhere_fails_before_any_write(aws, ecr, props, where):
    stack = Resource(stack_name="ctl")
    with recorded_calls() as calls:
        response = stack.create(props)
    assert response.status == "FAILED"
    assert response.reason.startswith(f"Invalid properties: {where}: holds the control character ")
    assert response.reason.endswith("remove it")
    assert calls.names == []  # refused before the first ECR call
    assert snapshot(ecr) == {}


def test_an_update_with_a_trailing_newline_changes_nothing(aws, ecr):
    stack = Resource(stack_name="ctlupd")
    good = {"EcrRepositories": {"app/a": {"AdditionalPullAccountIds": ["111111111111"]}}}
    assert stack.create(good).ok
    before = snapshot(ecr)
    bad = {"EcrRepositories": {"app/a": {"AdditionalPullAccountIds": ["111111111111\n"]}, "app/new": {}}}
    with recorded_calls() as calls:
        response = stack.update(bad)
    assert response.status == "FAILED" and response.physical_id == stack.physical_id
    assert calls.names == []  # refused before the first ECR call
    assert snapshot(ecr) == before
