"""Requests-per-minute and tokens-per-minute limits, as token buckets on an injectable clock.

`TokenBucket` is pure arithmetic over a clock: it never sleeps, so it is tested with a fake
clock. `RateLimiter` adds the waiting and the lock that worker threads share.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

Clock = Callable[[], float]


class TokenBucket:
    """Refills at `per_minute / 60` a second up to `capacity`; may go into debt via `charge`.

    Capacity defaults to six seconds' worth (at least 1), which keeps bursts short. A request
    larger than the capacity waits for a full bucket, then takes it all and owes the rest.
    """

    def __init__(self, per_minute: float, capacity: float | None = None, clock: Clock = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError(f"rate must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = float(capacity) if capacity is not None else max(1.0, per_minute / 10.0)
        self.clock = clock
        self.level = self.capacity
        self._stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self, amount: float) -> float:
        """Seconds until `amount` (capped at the capacity) could be taken; 0 when it can now."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self.level + 1e-9 >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        """Spend `amount` now (call after `wait_time` returned 0)."""
        self._refill()
        self.level -= amount

    def charge(self, amount: float) -> None:
        """Correct the balance after the fact (actual tokens used); negative refunds."""
        self._refill()
        self.level = min(self.capacity, self.level - amount)


class RateLimiter:
    """Both limits at once; either may be None (unlimited). Safe to share between threads."""

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.requests = TokenBucket(requests_per_minute, clock=clock) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute, clock=clock) if tokens_per_minute else None
        self.sleep = sleep
        self._lock = threading.Lock()

    def acquire(self, tokens: int) -> float:
        """Block until one request of about `tokens` tokens may start; returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                wait = max(
                    self.requests.wait_time(1) if self.requests else 0.0,
                    self.tokens.wait_time(tokens) if self.tokens else 0.0,
                )
                if wait <= 0:
                    if self.requests:
                        self.requests.take(1)
                    if self.tokens:
                        self.tokens.take(tokens)
                    return waited
            self.sleep(wait)
            waited += wait

    def settle(self, estimated: int, actual: int) -> None:
        """Charge the difference once the server reported the tokens a request really used."""
        if self.tokens and actual != estimated:
            with self._lock:
                self.tokens.charge(actual - estimated)
