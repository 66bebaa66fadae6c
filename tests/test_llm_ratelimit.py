"""The token bucket and the limiter, on a fake clock: no test sleeps for real."""

from __future__ import annotations

import pytest

from hipporag_like.llm.ratelimit import RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock)  # one a second, six at once
    assert bucket.capacity == 6
    for _ in range(6):
        assert bucket.wait_time(1) == 0
        bucket.take(1)
    assert bucket.wait_time(1) == pytest.approx(1.0)
    clock.now += 0.5
    assert bucket.wait_time(1) == pytest.approx(0.5)
    clock.now += 10
    bucket.wait_time(1)
    assert bucket.level == 6  # never above capacity


def test_bucket_request_larger_than_capacity_waits_for_full_then_owes() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, capacity=60, clock=clock)  # 10 tokens a second
    bucket.take(30)
    assert bucket.wait_time(100) == pytest.approx(3.0)  # capped at 60: needs 30 more
    clock.now += 3
    bucket.take(100)
    assert bucket.level == pytest.approx(-40)
    assert bucket.wait_time(10) == pytest.approx(5.0)


def test_charge_corrects_after_the_fact() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, capacity=60, clock=clock)
    bucket.take(10)
    bucket.charge(20)  # the answer used 20 more than estimated
    assert bucket.level == pytest.approx(30)
    bucket.charge(-100)  # a refund never overfills
    assert bucket.level == 60


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_limiter_spaces_requests_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, None, clock=clock, sleep=clock.sleep)
    waited = [limiter.acquire(1000) for _ in range(10)]
    assert waited[:6] == [0.0] * 6
    assert sum(waited) == pytest.approx(4.0)
    assert clock.now == pytest.approx(104.0)


def test_limiter_tokens_per_minute_and_settle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, 600, clock=clock, sleep=clock.sleep)  # 10 tokens/s, 60 at once
    assert limiter.acquire(50) == 0.0
    limiter.settle(estimated=50, actual=80)  # 20 short now
    assert limiter.acquire(10) == pytest.approx(3.0)


def test_limiter_takes_both_limits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, 600, clock=clock, sleep=clock.sleep)
    limiter.acquire(60)  # empties the token bucket, one request of six
    assert limiter.acquire(30) == pytest.approx(3.0)  # tokens are the binding limit


def test_unlimited_limiter_never_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, None, clock=clock, sleep=clock.sleep)
    assert all(limiter.acquire(10**6) == 0.0 for _ in range(100))
    assert clock.slept == []
