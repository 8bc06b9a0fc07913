"""ecr_repos.core.continuation and the protocol's hand-over: the record, its size, when the core goes
on, and that it answers once (the Lambda entry point, a registered test type, moto for Lambda)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ecr_repos.core import continuation, protocol, response
from ecr_repos.core.continuation import KEY, MAX_PAYLOAD_BYTES, Record, Stale, Unfinished
from ecr_repos.core.errors import OutOfTime
from tests.support import lambda_async
from tests.support.cfn import SERVICE_TOKEN, LambdaContext, Resource, _Recorder

TYPE = "Custom::ContinuationProbe"


def _event(**properties: Any) -> dict[str, Any]:
    event = Resource(stack_name="probe").event("Create", properties)
    event["ResourceType"] = TYPE
    return event


@pytest.fixture
def probe():
    """A resource type that needs ``steps`` invocations: each does one step and runs out of time."""
    seen: list[dict[str, Any]] = []

    def create(event: dict[str, Any], context: Any) -> str:
        invocation = protocol.current()
        done = (invocation.resumed or {}).get("done", 0)
        seen.append({"link": invocation.link, "done": done, "budget": invocation.budget})
        invocation.physical_id = "probe-id"
        if done + 1 < int(event["ResourceProperties"].get("Steps", "1")):
            raise Unfinished(OutOfTime(done + 1, int(event["ResourceProperties"]["Steps"])), {"done": done + 1})
        if event["ResourceProperties"].get("Stale") == "true" and invocation.link > 0:
            raise Stale("over")
        invocation.data["Done"] = str(done + 1)
        return "probe-id"

    protocol.register(TYPE, create=create, update=create, delete=create)
    yield seen
    protocol._TYPES.pop(TYPE, None)


def test_a_record_round_trips_and_a_foreign_one_is_refused():
    record = Record("c0ffee", 2, 1700000000.5, continuation.pack({"x": [1, 2]}))
    event, parsed = continuation.split({"RequestType": "Create", KEY: record.to_json()})
    assert parsed == record and KEY not in event
    assert continuation.unpack(parsed.state) == {"x": [1, 2]}
    for bad in ({}, {"Chain": "", "Link": 1, "ReceivedAt": 1.0}, {"Chain": "c", "Link": 0, "ReceivedAt": 1.0},
                {"Chain": "c", "Link": True, "ReceivedAt": 1.0}, {"Chain": "c", "Link": 1, "ReceivedAt": "x"}, []):
        with pytest.raises(ValueError):
            continuation.split({KEY: bad})


def test_a_state_too_large_is_left_out_and_the_next_invocation_reads_again():
    import os

    event = {"RequestType": "Create", "ResourceProperties": {}}
    big = continuation.pack({"noise": os.urandom(MAX_PAYLOAD_BYTES).hex()})  # incompressible
    body = continuation.payload(event, Record("c", 1, 1.0, big))
    assert len(body) < MAX_PAYLOAD_BYTES
    assert "State" not in json.loads(body)[KEY]
    small = continuation.payload(event, Record("c", 1, 1.0, continuation.pack({"a": 1})))
    assert json.loads(small)[KEY]["State"]


def test_three_invocations_one_answer_and_service_timeout_counted_from_the_first(aws, probe):
    event = _event(Steps=3, ServiceTimeout=600)
    with lambda_async.service(5.0) as lam:
        sent = lam.run(event)
    assert [(r.status, r.physical_id, r.data) for r in sent] == [("SUCCESS", "probe-id", {"Done": "3"})]
    assert [s["link"] for s in probe] == [0, 1, 2] and [s["done"] for s in probe] == [0, 1, 2]
    # each link's CloudFormation end is the first one's: 600 s after the first start, not after its own
    ends = [s["budget"].service_end for s in probe]
    assert max(ends) - min(ends) < 0.5
    assert [e[KEY]["Link"] for e in lam.delivered[1:]] == [1, 2]
    assert len({e[KEY]["Chain"] for e in lam.delivered[1:]}) == 1


def test_no_hand_over_when_service_timeout_leaves_too_little(aws, probe):
    # ServiceTimeout 5 s: the next invocation would not have MIN_LINK_SECONDS (5 s) of it
    with lambda_async.service(5.0) as lam:
        sent = lam.run(_event(Steps=3, ServiceTimeout=5))
    assert len(lam.delivered) == 1
    assert [r.status for r in sent] == ["FAILED"]
    assert "CloudFormation's ServiceTimeout (5 s) ran out after 1 of 3 changes" in sent[0].reason


def test_a_function_that_cannot_invoke_itself_answers_failed(aws, probe):
    _Recorder.sent = []
    with response.connections(_Recorder):
        from ecr_repos.handler import handler

        handler(_event(Steps=2), LambdaContext(5.0, function_arn=""))
    assert [r.status for r in _Recorder.sent] == ["FAILED"]
    assert _Recorder.sent[0].reason.startswith("Stopped before the Lambda timed out after 1 of 2 changes")


def test_a_continuation_after_service_timeout_is_ignored_and_a_stale_one_answers_nothing(aws, probe):
    late = Record("c", 1, time.time() - 700, continuation.pack({"done": 0}))
    with lambda_async.service(5.0) as lam:
        assert lam.deliver({**_event(Steps=1, ServiceTimeout=600), KEY: late.to_json()}) == []
        fresh = Record("c", 1, time.time(), continuation.pack({"done": 0}))
        assert lam.deliver({**_event(Steps=1, Stale="true"), KEY: fresh.to_json()}) == []
        assert lam.deliver({**_event(Steps=1), KEY: {"Chain": 1}}) == []  # not a record of ours
    assert [s["link"] for s in probe] == [1]  # only the stale one ran, and stopped itself


def test_the_timer_hands_over_when_the_operation_outlasts_the_margin(aws, monkeypatch):
    """An operation stuck past the margin: the timer takes the snapshot and goes on; the operation's
    own late outcome is dropped."""
    monkeypatch.setattr(protocol, "TIME_MARGIN_SECONDS", 1.0)
    runs: list[int] = []

    def create(event: dict[str, Any], context: Any) -> str:
        invocation = protocol.current()
        runs.append(invocation.link)
        if invocation.link == 0:
            invocation.snapshot = lambda: {"from": "timer"}
            time.sleep(2.2)  # past timer_at (2.5 s Lambda: 2.0 s)
            raise Unfinished(OutOfTime(), {"from": "operation"})
        assert invocation.resumed == {"from": "timer"}
        return "timer-id"

    protocol.register(TYPE, create=create, update=create, delete=create)
    try:
        with lambda_async.service(2.5) as lam:
            sent = lam.run(_event())
    finally:
        protocol._TYPES.pop(TYPE, None)
    assert runs == [0, 1] and [(r.status, r.physical_id) for r in sent] == [("SUCCESS", "timer-id")]


def test_the_response_body_keeps_the_end_of_a_long_reason():
    event = _event()
    body = response.body(event, "FAILED", "x" * 300 + " Do this.", "pid", {})
    assert body["Reason"].startswith("ERROR: (truncated) ") and body["Reason"].endswith(" Do this.")
    assert len(body["Reason"]) == len("ERROR: (truncated) ") + 240
    assert {k: body[k] for k in ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId",
                                 "Data", "NoEcho")} == {
        "Status": "FAILED", "PhysicalResourceId": "pid", "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": "Repos", "Data": {}, "NoEcho": False}


def test_the_stand_in_refuses_another_function_as_lambda_does(aws, probe):
    other = SERVICE_TOKEN.rsplit(":", 1)[0] + ":someone-else"
    with lambda_async.service(5.0) as lam:
        lam.context = lambda: LambdaContext(5.0, other)  # the function believes it is another
        sent = lam.run(_event(Steps=2))
    assert [r.status for r in sent] == ["FAILED"] and "ResourceNotFoundException" in sent[0].reason


def test_out_of_time_with_nothing_carried_goes_on_and_reads_again(aws):
    runs: list[tuple[int, Any]] = []

    def create(event: dict[str, Any], context: Any) -> str:
        invocation = protocol.current()
        runs.append((invocation.link, invocation.resumed))
        if invocation.link == 0:
            raise OutOfTime()
        return "again-id"

    protocol.register(TYPE, create=create, update=create, delete=create)
    try:
        with lambda_async.service(5.0) as lam:
            sent = lam.run(_event())
    finally:
        protocol._TYPES.pop(TYPE, None)
    assert runs == [(0, None), (1, None)] and [r.status for r in sent] == ["SUCCESS"]
    assert "State" not in lam.delivered[1][KEY]
