"""core/ratelimit.py: the pace per operation, on a clock the test moves (no sleeping, no AWS)."""

from __future__ import annotations

import threading

import pytest

from ecr_repos.core import ratelimit
from ecr_repos.core.ratelimit import AdaptiveRate


class Clock:
    """Time that passes only when the limiter sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


def limiter() -> tuple[AdaptiveRate, Clock]:
    clock = Clock()
    return AdaptiveRate(clock=clock, sleep=clock.sleep), clock


def test_an_operation_never_throttled_is_not_paced():
    rate, clock = limiter()
    for _ in range(1000):
        assert rate.wait("CreateRepository")
    assert rate.rate("CreateRepository") is None
    assert clock.slept == []


def test_a_throttle_sets_the_rate_under_what_was_sent_and_paces_from_then_on():
    rate, clock = limiter()
    for _ in range(20):  # 20 calls in one second
        assert rate.wait("CreateRepository")
        clock.now += 0.05
    rate.throttled("CreateRepository")
    assert rate.rate("CreateRepository") == pytest.approx(ratelimit.BACKOFF * 20, rel=0.01)
    start = clock.now
    for _ in range(29):
        assert rate.wait("CreateRepository")
    # 29 turns at 14/s: the first waits one interval, then 28 more
    assert clock.now - start == pytest.approx(29 / (ratelimit.BACKOFF * 20), rel=0.01)


def test_operations_are_paced_apart():
    rate, clock = limiter()
    for _ in range(10):
        rate.wait("PutLifecyclePolicy")
    rate.throttled("PutLifecyclePolicy")
    assert rate.rate("PutLifecyclePolicy") is not None
    assert rate.rate("CreateRepository") is None
    before = clock.now
    for _ in range(50):
        assert rate.wait("CreateRepository")
    assert clock.now == before


def test_throttles_answered_together_lower_the_rate_once():
    rate, clock = limiter()
    for _ in range(10):
        rate.wait("TagResource")
        clock.now += 0.1
    for _ in range(8):  # eight calls in flight refused at once
        rate.throttled("TagResource")
    first = rate.rate("TagResource")
    assert first == pytest.approx(ratelimit.BACKOFF * 10, rel=0.01)
    clock.now += ratelimit.COOL_DOWN
    rate.throttled("TagResource")
    assert rate.rate("TagResource") == pytest.approx(ratelimit.BACKOFF * first, rel=0.01)


def test_the_rate_never_falls_below_the_floor():
    rate, clock = limiter()
    rate.wait("DeleteRepository")
    for _ in range(40):
        rate.throttled("DeleteRepository")
        clock.now += ratelimit.COOL_DOWN
    assert rate.rate("DeleteRepository") == ratelimit.FLOOR


def test_successes_recover_to_the_throttled_rate_then_probe_above_it():
    rate, clock = limiter()
    for _ in range(10):
        rate.wait("SetRepositoryPolicy")
        clock.now += 0.1
    rate.throttled("SetRepositoryPolicy")  # ceiling 10/s, rate 7/s
    for _ in range(10):
        rate.succeeded("SetRepositoryPolicy")
    recovered = rate.rate("SetRepositoryPolicy")
    assert 0.95 * 10 <= recovered < 10 + ratelimit.PROBE * 10
    for _ in range(10):
        rate.succeeded("SetRepositoryPolicy")
    assert rate.rate("SetRepositoryPolicy") > 10  # probing: the quota may have risen


def test_a_turn_that_would_come_after_the_deadline_is_refused_without_waiting():
    rate, clock = limiter()
    rate.wait("CreateRepository")
    rate.throttled("CreateRepository")  # one call within MIN_SPAN: 4/s sent, paced at 2.8/s
    interval = 1.0 / rate.rate("CreateRepository")
    assert not rate.wait("CreateRepository", deadline=clock.now + interval / 2)
    assert clock.slept == []
    assert rate.wait("CreateRepository", deadline=clock.now + 10)


def test_concurrent_waiters_each_take_their_own_turn():
    rate = AdaptiveRate()
    for _ in range(5):
        rate.wait("ListTagsForResource")
    rate.throttled("ListTagsForResource")
    paced = rate.rate("ListTagsForResource")
    turns: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        assert rate.wait("ListTagsForResource")
        import time

        with lock:
            turns.append(time.monotonic())

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    turns.sort()
    gaps = [b - a for a, b in zip(turns, turns[1:])]
    # no two threads share a turn: each gap is about one interval of the paced rate
    assert min(gaps) >= 0.8 / paced
