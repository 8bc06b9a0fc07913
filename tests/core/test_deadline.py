"""ecr_repos.core.deadline: the earlier of the Lambda's end and ServiceTimeout, and the margin kept before it."""

from __future__ import annotations

import pytest

from ecr_repos.core.deadline import budget, service_timeout_of


@pytest.mark.parametrize(
    "value,expected",
    [("1", 1), ("3600", 3600), (" 2 ", 2), (2, 2), (2.0, 2), ("0", None), ("3601", None), ("2.5", None),
     ("-1", None), ("", None), ("\u0662", None), (True, None), (None, None), ([], None)],
)
def test_service_timeout_as_cloudformation_sends_it(value, expected):
    assert service_timeout_of({"ServiceTimeout": value}) == expected


def test_service_timeout_absent_or_properties_unreadable():
    assert service_timeout_of({}) is None
    assert service_timeout_of(None) is None
    assert service_timeout_of("x") is None


@pytest.mark.parametrize(
    # started at 100.0, read at 100.1 with remaining_ms of Lambda time left
    "remaining_ms,properties,answer_by,margin,service_timeout,stop_at,timer_at",
    [
        (899_900, {}, 1000.0, 10.0, None, 990.0, 999.5),  # no ServiceTimeout: the Lambda's end, 10 s kept
        (899_900, {"ServiceTimeout": "1"}, 101.0, 0.5, 1, 100.5, 100.75),
        (899_900, {"ServiceTimeout": "2"}, 102.0, 1.0, 2, 101.0, 101.5),
        (899_900, {"ServiceTimeout": "60"}, 160.0, 10.0, 60, 150.0, 159.5),
        (1_900, {"ServiceTimeout": "3600"}, 102.0, 1.0, None, 101.0, 101.5),  # the Lambda ends first
        (899_900, {"ServiceTimeout": "nope"}, 1000.0, 10.0, None, 990.0, 999.5),
    ],
)
def test_budget(remaining_ms, properties, answer_by, margin, service_timeout, stop_at, timer_at):
    got = budget(100.0, 100.1, remaining_ms, properties, cap=10.0)
    assert (got.started, got.answer_by, got.margin, got.service_timeout) == (
        100.0, pytest.approx(answer_by), pytest.approx(margin), service_timeout)
    assert (got.stop_at, got.timer_at) == (pytest.approx(stop_at), pytest.approx(timer_at))
    assert got.started < got.stop_at < got.timer_at < got.answer_by


def test_the_cap_is_the_operators_margin():
    assert budget(0.0, 0.0, 3000, {}, cap=1.5).margin == 1.5
    assert budget(0.0, 0.0, 3000, {}, cap=0.0).stop_at == 3.0


def test_a_continuation_counts_service_timeout_from_the_first_receipt():
    # the first invocation started 50 s before this one (received): ServiceTimeout 60 leaves 10 s
    got = budget(100.0, 100.0, 899_000, {"ServiceTimeout": "60"}, cap=10.0, received=50.0)
    assert (got.answer_by, got.service_timeout, got.service_end) == (110.0, 60, 110.0)
    assert got.margin == 5.0  # half of this invocation's 10 s
    # no ServiceTimeout: CloudFormation's hour, from the first receipt; the Lambda's end is the budget's
    got = budget(100.0, 100.0, 2_000, {}, cap=10.0, received=50.0)
    assert (got.answer_by, got.service_timeout, got.service_end) == (102.0, None, 3650.0)
