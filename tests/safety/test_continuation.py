"""Work longer than one invocation: the provider goes on in a fresh invocation of itself.

A Lambda stand-in of a few seconds (``tests/support/lambda_async.py``: the provider's real Lambda
client, its asynchronous Invoke delivered in process to the real entry point) and ECR throttling at
a real rate (``ecr_fidelity.rate_limit``): requests far larger than one invocation can do end in
exactly one answer, with every repository written once, and a continuation that arrives after the
answer writes nothing.
"""

from __future__ import annotations

import json
import os

import pytest

from ecr_repos.core.continuation import KEY
from tests.support import ecr_fidelity, lambda_async
from tests.support.cfn import LambdaContext, Resource, invoke
from tests.support.registry import push_image, snapshot

from .props import repos

WRITES = ("create_repository", "delete_repository", "put_image_tag_mutability", "put_image_scanning_configuration",
          "put_lifecycle_policy", "set_repository_policy", "delete_repository_policy", "tag_resource",
          "untag_resource")


@pytest.fixture(autouse=True)
def short_lambda(monkeypatch):
    # a 3 s Lambda keeps 1 s: each invocation works about 2 s, then hands over (the timer, 0.5 s
    # before the end, only if one call outlasts the margin)
    monkeypatch.setattr("ecr_repos.core.protocol.TIME_MARGIN_SECONDS", 1.0)
    monkeypatch.setenv("ECR_REPOS_CONCURRENCY", "16")


def _writes(rate: ecr_fidelity.RequestRate) -> int:
    return sum(rate.served.get(api, 0) for api in WRITES)


def _once_each(rate: ecr_fidelity.RequestRate, api: str, names: list[str]) -> None:
    assert rate.served_for.get(api, {}) == {n: 1 for n in names}


def in_flight_at_hand_over(lam: lambda_async.LambdaService) -> set[str]:
    """The repositories some continuation was told were in flight (``uncertain``) when it was sent."""
    from ecr_repos.core.continuation import unpack

    names: set[str] = set()
    for event in lam.delivered:
        state = event.get(KEY, {}).get("State")
        if state is not None:
            names |= set(unpack(state).get("uncertain") or [])
    return names


def is_reading(event: dict) -> bool:
    """A continuation of an invocation that ran out of time while still reading (no plan carried)."""
    from ecr_repos.core.continuation import unpack

    state = event[KEY].get("State")
    return state is None or unpack(state).get("plan") is None


def _create(resource: Resource, props: dict) -> None:
    """An ordinary Create in one 900 s invocation (no throttling): the starting registry."""
    response = resource.create(props)
    assert response.ok, response.reason


def test_a_create_of_300_under_throttling_ends_across_invocations_with_one_answer(ecr):
    names = [f"long/r{i:03d}" for i in range(300)]
    resource = Resource(stack_name="long")
    event = resource.event("Create", repos(*names, Tags={"team": "platform"}))
    with ecr_fidelity.rate_limit(60.0, burst=10) as rate, lambda_async.service(3.0) as lam:
        responses = lam.run(event)
    assert [r.status for r in responses] == ["SUCCESS"], [r.reason for r in responses]
    assert len(lam.delivered) >= 3  # several invocations
    assert sorted(snapshot(ecr)) == names
    _once_each(rate, "create_repository", names)
    assert rate.refused.get("create_repository", 0) > 0  # ECR did throttle
    # the registry was read once, not again by each invocation
    assert rate.served["describe_repositories"] == 1
    # ServiceTimeout counts from the first receipt: every continuation carries it
    received = {e[KEY]["ReceivedAt"] for e in lam.delivered[1:]}
    assert len(received) == 1
    assert [e[KEY]["Link"] for e in lam.delivered[1:]] == list(range(1, len(lam.delivered)))
    assert max(lam.payload_sizes) < 256 * 1024


def test_an_update_of_every_repository_reads_each_once_and_writes_each_once(ecr):
    names = [f"upd/r{i:03d}" for i in range(300)]
    resource = Resource(stack_name="upd")
    _create(resource, repos(*names))
    changed = {"EcrRepositories": {n: {"IsImmutable": False, "Tags": {"v": "2"}} for n in names}}
    event = resource.event("Update", changed, physical_id=resource.physical_id, old_properties=resource.properties)
    with ecr_fidelity.rate_limit(80.0, burst=10) as rate, lambda_async.service(3.0) as lam:
        responses = lam.run(event)
    assert [r.status for r in responses] == ["SUCCESS"], [r.reason for r in responses]
    assert responses[0].physical_id == resource.physical_id
    assert len(lam.delivered) >= 3
    # each repository written once; one more tag on the anchor (the chain's 'answered' mark). Only a
    # repository whose call was in flight when the timer had to hand over (a call outlasting the
    # margin, as on a loaded machine) is written again, idempotently, by the next invocation.
    again = in_flight_at_hand_over(lam)
    mutability = rate.served_for["put_image_tag_mutability"]
    assert set(mutability) == set(names) and {n for n, c in mutability.items() if c > 1} <= again
    tagged = rate.served_for["tag_resource"]
    anchor = min(names)
    assert set(tagged) == set(names) and tagged[anchor] in (2, 3)
    assert {n for n, c in tagged.items() if c > (2 if n == anchor else 1)} <= again, again
    # reads are carried too: each repository's tags and policies are read once, but for the few whose
    # reading was cut by a hand-over (at most one per worker per invocation), and the anchor's tags
    # once per resumed invocation (its check)
    cut = 16 * len(lam.delivered)
    assert sum(rate.served_for["get_lifecycle_policy"].values()) <= len(names) + cut
    assert sum(rate.served_for["list_tags_for_resource"].values()) <= len(names) + cut + len(lam.delivered)
    assert len(lam.delivered) * len(names) > len(names) + cut + len(lam.delivered)  # far below a re-read each time
    registry = snapshot(ecr)
    assert all(registry[n]["tags"].get("v") == "2" and registry[n]["mutability"] == "MUTABLE" for n in names)


def test_a_delete_of_300_under_throttling_removes_each_once(ecr):
    names = [f"del/r{i:03d}" for i in range(300)]
    resource = Resource(stack_name="del")
    _create(resource, repos(*names))
    event = resource.event("Delete", resource.properties, physical_id=resource.physical_id)
    with ecr_fidelity.rate_limit(60.0, burst=10) as rate, lambda_async.service(3.0) as lam:
        responses = lam.run(event)
    assert [r.status for r in responses] == ["SUCCESS"], [r.reason for r in responses]
    assert len(lam.delivered) >= 3
    _once_each(rate, "delete_repository", names)
    assert snapshot(ecr) == {}


def test_a_long_delete_keeps_the_repositories_with_images_and_names_them_once(ecr):
    names = [f"keep/r{i:03d}" for i in range(200)]
    resource = Resource(stack_name="keep")
    _create(resource, repos(*names))
    held = [names[3], names[120], names[-1]]  # the last one is the Delete's anchor
    digests = {n: push_image(ecr, n, "v1") for n in held}
    event = resource.event("Delete", resource.properties, physical_id=resource.physical_id)
    with ecr_fidelity.rate_limit(50.0, burst=10), lambda_async.service(3.0) as lam:
        responses = lam.run(event)
    assert len(lam.delivered) >= 3
    assert [r.status for r in responses] == ["FAILED"]
    assert all(repr(n) in responses[0].reason for n in held)
    registry = snapshot(ecr)
    assert sorted(registry) == sorted(held) and all(registry[n]["images"] == {digests[n]} for n in held)
    # the retry after emptying them (a new request) removes them
    for n in held:
        ecr.batch_delete_image(repositoryName=n, imageIds=[{"imageTag": "v1"}])
    assert resource.delete().ok and snapshot(ecr) == {}


def test_a_continuation_delivered_after_the_answer_writes_nothing(ecr):
    names = [f"dup/r{i:03d}" for i in range(200)]
    resource = Resource(stack_name="dup")
    props = repos(*names)
    event = resource.event("Create", props)
    with ecr_fidelity.rate_limit(60.0, burst=10), lambda_async.service(3.0) as lam:
        responses = lam.run(event)
        assert [r.status for r in responses] == ["SUCCESS"]
        continuations = [e for e in lam.delivered if KEY in e]
        assert continuations
    before = snapshot(ecr)
    # Lambda delivers every continuation once more, after the answer (its queue's duplicates)
    with ecr_fidelity.rate_limit(1000.0, burst=1000) as rate, lambda_async.service(3.0) as again:
        late = [again.deliver(e) for e in continuations]
    assert late == [[] for _ in continuations]  # no second answer
    assert _writes(rate) == 0 and not again.queue
    assert snapshot(ecr) == before

    # CloudFormation moved on: the stack was deleted; the late duplicates recreate nothing
    resource.physical_id, resource.properties = responses[0].physical_id, props
    assert resource.delete().ok
    assert snapshot(ecr) == {}
    with ecr_fidelity.rate_limit(1000.0, burst=1000) as rate, lambda_async.service(3.0) as again:
        late = [again.deliver(e) for e in continuations]
    assert late == [[] for _ in continuations]
    assert _writes(rate) == 0
    assert snapshot(ecr) == {}


def test_a_delete_continuation_after_the_answer_deletes_nothing_new(ecr):
    names = [f"ddup/r{i:03d}" for i in range(200)]
    resource = Resource(stack_name="ddup")
    _create(resource, repos(*names))
    event = resource.event("Delete", resource.properties, physical_id=resource.physical_id)
    with ecr_fidelity.rate_limit(50.0, burst=10), lambda_async.service(3.0) as lam:
        assert [r.status for r in lam.run(event)] == ["SUCCESS"]
        continuations = [e for e in lam.delivered if KEY in e]
    assert continuations and snapshot(ecr) == {}
    # another stack makes some of the same names; the late Delete continuations must not touch them
    other = Resource(stack_name="other")
    _create(other, repos(*names[:150]))
    with ecr_fidelity.rate_limit(1000.0, burst=1000) as rate, lambda_async.service(3.0) as again:
        late = [again.deliver(e) for e in continuations]
    assert _writes(rate) == 0
    assert sorted(snapshot(ecr)) == names[:150]
    # a continuation that carried a plan answers nothing; one that was still reading reads again
    # (its carried reads are out of date), finds nothing of its own and may repeat the same answer
    for event, sent in zip(continuations, late):
        assert sent == [] or (is_reading(event) and [r.status for r in sent] == ["SUCCESS"])
    assert any(sent == [] for sent in late)


def test_service_timeout_running_out_answers_failed_once_and_in_time(ecr):
    import time

    names = [f"st/r{i:03d}" for i in range(300)]
    resource = Resource(stack_name="st")
    event = resource.event("Create", repos(*names, ServiceTimeout=9))
    started = time.monotonic()
    with ecr_fidelity.rate_limit(15.0, burst=5), lambda_async.service(3.0) as lam:
        responses = lam.run(event)
    assert len(responses) == 1 and responses[0].status == "FAILED"
    # the time CloudFormation gives ran out (while ECR still throttled, the throttling is named)
    assert "ServiceTimeout (9 s) ran out" in responses[0].reason or "ECR kept throttling" in responses[0].reason
    assert time.monotonic() - started < 9.0
    assert len(lam.delivered) >= 2  # it went on while ServiceTimeout left time
    # what it made is CloudFormation's Delete's to remove
    resource.physical_id, resource.properties = responses[0].physical_id, repos(*names)
    assert resource.delete().ok
    assert snapshot(ecr) == {}


def test_an_invoke_refused_answers_failed_naming_the_permission(ecr):
    # moto's Lambda has no such function: the Invoke is refused (as it is without lambda:InvokeFunction)
    names = [f"ref/r{i:03d}" for i in range(200)]
    resource = Resource(stack_name="ref")
    event = resource.event("Create", repos(*names))
    with ecr_fidelity.rate_limit(40.0, burst=10):
        sent = invoke(event, LambdaContext(2.5))
    assert len(sent) == 1 and sent[0].status == "FAILED"
    assert sent[0].reason.endswith("Allow the role lambda:InvokeFunction on the function, then retry.")


@pytest.mark.skipif(not os.environ.get("ECR_REPOS_SLOW"), reason="slow (about a minute): ECR_REPOS_SLOW=1 runs it")
def test_a_create_of_1000_under_throttling(ecr):
    names = [f"big/r{i:04d}" for i in range(1000)]
    resource = Resource(stack_name="big")
    event = resource.event("Create", repos(*names, Tags={"team": "platform"}))
    with ecr_fidelity.rate_limit(60.0, burst=10) as rate, lambda_async.service(3.0) as lam:
        responses = lam.run(event, limit=200)
    assert [r.status for r in responses] == ["SUCCESS"]
    _once_each(rate, "create_repository", names)
    assert max(lam.payload_sizes) < 256 * 1024
    assert json.loads(json.dumps(responses[0].data))["Repos"]
