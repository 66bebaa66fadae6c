"""Wall time per stage of a write, so a slow build says where its time went (manifest `timings`)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator


class StageClock:
    """Seconds per named stage; stages may run on other threads (passages embed during extraction)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - started, 3)
