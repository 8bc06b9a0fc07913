"""ECR's and CloudFormation's own rules through the Lambda entry point (issue 9, items 1-3).

Repository names as ECR accepts them, values that hold a control character refused before any
write, and the answer given before CloudFormation's ServiceTimeout.
"""

from __future__ import annotations

import time
from unittest import mock

import pytest

from tests.support.cfn import LambdaContext, Resource, Response, _Recorder, invoke
from tests.support.registry import Fault, digests, faults, push_image, recorded_calls, snapshot, user_tags

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
        # issue 20 item 4: ArchiveRules share ExpirationRules' TagPattern definition
        (_with(ArchiveRules=[{"TagPattern": "dev-*\n", "Days": 7}]), "EcrRepositories.app/z.ArchiveRules[0].TagPattern"),
        (_with(ArchiveRules=[{"TagPattern": "v\x1b1", "DaysSincePull": 7}]), "EcrRepositories.app/z.ArchiveRules[0].TagPattern"),
        ({"RepositoryDefaults": {"ArchiveRules": [{"TagPattern": "a\x7f", "Days": 7}]}, "EcrRepositories": {"app/a": {}}},
         "RepositoryDefaults.ArchiveRules[0].TagPattern"),
        ({"Tags": {"team\n": "a"}, "EcrRepositories": {"app/a": {}}}, "Tags.'team\\n'"),
        (_with(Tags={"team": "platform\n"}), "EcrRepositories.app/z.Tags.team"),
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


# --- 3. ServiceTimeout ------------------------------------------------------------------------------


def _timed(resource: Resource, props: dict[str, object], *, lambda_seconds: float = 900.0) -> tuple[list[tuple[float, Response]], float]:
    """Create through the Lambda entry point; every response with the second it was sent at, counted
    from the invocation's start, and the second the handler returned. The function cannot invoke
    itself here (no invoked_function_arn): the one invocation's end is the deadline
    (tests/safety/test_continuation.py covers going on in a fresh invocation)."""
    event = resource.event("Create", props)
    stamped: list[tuple[float, Response]] = []
    original = _Recorder.request

    def request(self: object, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        stamped.append((time.monotonic() - start, _Recorder.sent[-1]))

    with mock.patch.object(_Recorder, "request", request):
        start = time.monotonic()
        invoke(event, LambdaContext(lambda_seconds, function_arn=""))
        returned = time.monotonic() - start
    if stamped:
        resource.physical_id, resource.properties = stamped[0][1].physical_id, props
    return stamped, returned


def test_a_one_repository_create_fits_a_one_second_service_timeout(aws, ecr):
    stack = Resource(stack_name="quick")
    responses, _ = _timed(stack, {"ServiceTimeout": 1, "EcrRepositories": {"app/a": {}}})
    [(sent_at, response)] = responses
    assert response.ok, response.reason
    assert sent_at < 1.0
    assert set(snapshot(ecr)) == {"app/a"}


def test_work_beyond_service_timeout_answers_failed_in_time_and_the_delete_cleans_up(aws, ecr, monkeypatch):
    # given a Create that needs about 5 s (4 repositories, one call at a time, 1.2 s per CreateRepository)
    monkeypatch.setenv("ECR_REPOS_CONCURRENCY", "1")
    stack = Resource(stack_name="impatient")
    props = {"ServiceTimeout": "2", "EcrRepositories": {f"app/r{i}": {} for i in range(4)}}
    with faults(Fault("create_repository", error=None, latency=1.2)):
        responses, _ = _timed(stack, props)
    # then one FAILED answer, before CloudFormation's 2 s are up, with the physical id it chose: the
    # executor's own after the call that outlasted its stop time (1.0 s), or the timer's (1.5 s) on
    # a machine so loaded that the first call ended after that
    [(sent_at, response)] = responses
    assert sent_at < 2.0
    assert response.status == "FAILED"
    assert response.reason.startswith("Stopped before CloudFormation's ServiceTimeout (2 s) ran out")
    assert response.reason.endswith("Raise ServiceTimeout or split the resource.")
    assert response.physical_id.startswith("ecr-repos:impatient:Repos:")
    made = set(snapshot(ecr))
    assert made and made < set(props["EcrRepositories"])  # type: ignore[arg-type]
    # and CloudFormation's Delete of that id removes what was made
    assert stack.delete().ok
    assert snapshot(ecr) == {}


def test_one_call_outlasting_service_timeout_gets_the_timers_failed_answer_in_time(aws, ecr):
    # given a Create whose one CreateRepository takes 2.3 s
    stack = Resource(stack_name="hungcall")
    props = {"ServiceTimeout": "2", "EcrRepositories": {"app/a": {}}}
    with faults(Fault("create_repository", error=None, latency=2.3)):
        responses, returned = _timed(stack, props)
    # then the timer answers FAILED before the 2 s are up, and the handler's late answer is dropped
    [(sent_at, response)] = responses
    assert sent_at < 2.0 <= returned
    assert response.status == "FAILED"
    assert "ServiceTimeout (2 s) ran out, while an ECR call was still running" in response.reason
    assert response.physical_id.startswith("ecr-repos:hungcall:Repos:")
    # and whatever the call made, CloudFormation's Delete of that id removes it
    assert set(snapshot(ecr)) == {"app/a"}
    assert stack.delete().ok
    assert snapshot(ecr) == {}


def test_a_lambda_ending_before_service_timeout_is_the_deadline(aws, ecr, monkeypatch):
    monkeypatch.setenv("ECR_REPOS_CONCURRENCY", "1")
    stack = Resource(stack_name="shortlambda")
    props = {"ServiceTimeout": "3600", "EcrRepositories": {f"app/r{i}": {} for i in range(4)}}
    with faults(Fault("create_repository", error=None, latency=0.6)):
        responses, _ = _timed(stack, props, lambda_seconds=2.0)
    [(sent_at, response)] = responses
    assert sent_at < 2.0 and response.status == "FAILED"
    assert response.reason.startswith("Stopped before the Lambda timed out")
    assert stack.delete().ok
    assert snapshot(ecr) == {}
