"""Issue 3, outcomes 9 and 10: throttling on any call, and running out of Lambda time.

Faults are injected in moto's ECR backend; the provider meets them through botocore.
"""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest

from ecr_repos.core import response
from tests.support.cfn import LambdaContext, Resource, Response, _Recorder, invoke
from tests.support.registry import Fault, faults, no_backoff, push_image, snapshot
from tests.support.stack import Stack

from .props import repos, with_settings

# --- 9. throttling -----------------------------------------------------------------------------------


def _throttled(first: int) -> list[Fault]:
    """Every ECR call the provider makes, reads included, throttled ``first`` times."""
    methods = ["describe_repositories", "list_tags_for_resource", "get_lifecycle_policy", "get_repository_policy",
               "create_repository", "put_lifecycle_policy", "set_repository_policy", "tag_resource",
               "untag_resource", "put_image_tag_mutability", "put_image_scanning_configuration", "delete_repository"]
    return [Fault(m, first=first) for m in methods]


def test_throttling_on_every_kind_of_call_is_retried_and_each_request_succeeds(ecr):
    ecr.create_repository(repositoryName="legacy/app")
    images = {push_image(ecr, "legacy/app", "v1")}
    stack = Stack("throttled", "Repos")
    props = with_settings(repos("app/a", "app/b", "legacy/app", AdoptExisting=True, EmptyOnDelete=True), "app/a",
                          AdditionalPullAccountIds=["111122223333"])
    changed = with_settings(repos("app/a", "app/c", "legacy/app", AdoptExisting=True, EmptyOnDelete=True), "app/a",
                            IsImmutable=False, ScanOnPush=False)

    with no_backoff():
        with faults(*_throttled(3)) as injected:
            created = stack.create({"Repos": props})
        assert created.status == "CREATE_COMPLETE"
        assert sum(f.failures for f in injected) >= 3 * 5  # the Create met throttling on reads and writes
        with faults(*_throttled(3)):
            updated = stack.update({"Repos": changed})
        assert updated.status == "UPDATE_COMPLETE" and updated.cleanup["Repos"].ok
        after = snapshot(ecr)
        assert set(after) == {"app/a", "app/c", "legacy/app"}
        assert after["app/a"]["mutability"] == "MUTABLE" and after["app/a"]["scan_on_push"] is False
        assert after["app/a"]["policy"] is None
        with faults(*_throttled(3)):
            deleted = stack.delete()
    assert deleted.status == "DELETE_COMPLETE"
    assert set(snapshot(ecr)) == {"legacy/app"}
    assert snapshot(ecr)["legacy/app"]["images"] == images


def test_throttling_that_never_ends_fails_with_a_reason_and_the_rollback_cleans_up(ecr):
    # throttled calls are retried while time remains: here ServiceTimeout leaves 2 s of it
    stack = Stack("hopeless", "Repos")
    with no_backoff(), faults(Fault("put_lifecycle_policy", first=10**6)):
        outcome = stack.create({"Repos": repos("app/a", ServiceTimeout="4")})
    response = outcome.responses["Repos"]
    assert response.status == "FAILED"
    assert "ThrottlingException" in response.reason and "'app/a'" in response.reason
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert snapshot(ecr) == {}


# --- 10. time-out ------------------------------------------------------------------------------------


def _timed_invoke(event: dict[str, Any], seconds: float) -> tuple[list[tuple[float, Response]], float]:
    """Invoke with a Lambda that has ``seconds`` left; wait until it would have died; return every
    response with the time it was sent (from the start), and the time the handler returned.

    The response capture stays in place past the handler's return, so that a late send by the
    provider's timer thread is seen (and never leaves the machine). The function cannot invoke itself
    here (no invoked_function_arn): these are the answers of a request that cannot go on in a fresh
    invocation (tests/safety/test_continuation.py covers the hand-over)."""
    start = time.monotonic()
    stamped: list[tuple[float, Response]] = []
    original = _Recorder.request

    def request(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        stamped.append((time.monotonic() - start, _Recorder.sent[-1]))

    with response.connections(_Recorder), mock.patch.object(_Recorder, "request", request):
        invoke(event, LambdaContext(seconds, function_arn=""))
        returned = time.monotonic() - start
        time.sleep(max(0.0, seconds + 0.3 - (time.monotonic() - start)))
    return stamped, returned


@pytest.fixture
def short_margin(monkeypatch):
    monkeypatch.setattr("ecr_repos.core.protocol.TIME_MARGIN_SECONDS", 1.5)
    # The slow scenarios are sized for 16 concurrent calls: the work must outlast the deadline.
    monkeypatch.setenv("ECR_REPOS_CONCURRENCY", "16")


def test_create_running_out_of_time_answers_failed_once_before_the_lambda_ends(ecr, short_margin):
    resource = Resource(stack_name="slow")
    names = [f"app/r{i:03d}" for i in range(120)]
    event = resource.event("Create", repos(*names))

    with faults(Fault("create_repository", error=None, latency=0.25)):
        responses, returned = _timed_invoke(event, 3.0)

    assert len(responses) == 1, responses
    sent_at, response = responses[0]
    assert sent_at < 3.0 - 0.5  # before the provider's timer, and well before the Lambda's end
    assert response.status == "FAILED"
    assert response.reason.startswith("Stopped before the Lambda timed out after")
    assert response.physical_id.startswith("ecr-repos:slow:Repos:")
    made = set(snapshot(ecr))
    assert made and made < set(names)  # it stopped part-way

    # CloudFormation's Delete of the id the FAILED response carried removes all it made
    resource.physical_id, resource.properties = response.physical_id, repos(*names)
    assert resource.delete().ok
    assert snapshot(ecr) == {}


def test_update_running_out_of_time_is_rolled_back_to_the_exact_registry(ecr, short_margin):
    names = [f"app/r{i:03d}" for i in range(60)]
    stack = Stack("slowupd", "Repos")
    assert stack.create({"Repos": repos(*names)}).status == "CREATE_COMPLETE"
    for name in names[:5]:
        push_image(ecr, name, "v1")
    before = snapshot(ecr)
    resource = stack["Repos"]
    new = repos(*names, *[f"app/n{i:03d}" for i in range(60)], Tags={"team": "x"})
    event = resource.event("Update", new, physical_id=resource.physical_id, old_properties=resource.properties)

    with faults(Fault("tag_resource", error=None, latency=0.25), Fault("create_repository", error=None, latency=0.25)):
        responses, _ = _timed_invoke(event, 3.0)

    assert len(responses) == 1
    response = responses[0][1]
    assert response.status == "FAILED" and response.physical_id == resource.physical_id
    assert response.reason.startswith("Stopped before the Lambda timed out")
    # CloudFormation rolls back with an Update carrying the old properties
    rollback = resource.send(resource.event("Update", resource.properties, physical_id=resource.physical_id,
                                            old_properties=new))
    assert rollback.ok and rollback.physical_id == resource.physical_id
    assert snapshot(ecr) == before


def test_a_call_outlasting_the_margin_still_gets_a_failed_answer_before_the_lambda_ends(ecr, short_margin):
    # one ECR call hangs past the provider's margin: the provider's timer is the backstop
    resource = Resource(stack_name="hung")
    event = resource.event("Create", repos("app/a"))
    with faults(Fault("create_repository", error=None, latency=3.2)):
        responses, _ = _timed_invoke(event, 3.0)
    before_end = [(t, r) for t, r in responses if t < 3.0]
    assert len(before_end) == 1
    assert before_end[0][1].status == "FAILED"
    physical_id = before_end[0][1].physical_id
    assert physical_id.startswith("ecr-repos:hung:Repos:")
    # whatever the dead Lambda's last call did, the Delete of that id removes it
    resource.physical_id, resource.properties = physical_id, repos("app/a")
    assert resource.delete().ok
    assert snapshot(ecr) == {}


def test_throttling_far_beyond_botocores_retry_quota_is_absorbed(ecr):
    """ECR throttles every CreateRepository for a second, longer than botocore's backoff and its
    retry quota (about 100 retries per client) ever waited; the executor keeps retrying at the pace
    it learns until ECR answers again, and every repository is made once."""
    from moto.core.exceptions import JsonRESTError
    from moto.ecr.models import ECRBackend

    names = [f"burst/r{i:02d}" for i in range(40)]
    original = ECRBackend.create_repository
    refused = [0]
    until = time.monotonic() + 1.0

    def throttled(backend, *args, **kwargs):
        if time.monotonic() < until:
            refused[0] += 1
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return original(backend, *args, **kwargs)

    with mock.patch.object(ECRBackend, "create_repository", throttled):
        response = Resource(stack_name="burst").create(repos(*names))
    assert response.ok, response.reason
    assert sorted(snapshot(ecr)) == names
    assert refused[0] > 0  # ECR refused: the executor paced its retries instead of failing
