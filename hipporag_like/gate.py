"""Reads and writes through one opened Index object.

Why: a write through an Index closes its vector store and swaps in the new version; a query
running in another thread at that moment read a closed shard or a retired file and reported a
healthy index as damaged. Reads share the object freely; a write waits for the reads in
flight, holds new ones off until the new version is in place, then lets them read it. (For
reads that must not wait for a long write, open a second Index, as the server does.)
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class Gate:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._held = threading.local()  # this thread's reads in progress: a nested read never waits

    @contextmanager
    def reading(self) -> Iterator[None]:
        depth = getattr(self._held, "depth", 0)
        if depth == 0:
            with self._changed:
                while self._writing:
                    self._changed.wait()
                self._readers += 1
        self._held.depth = depth + 1
        try:
            yield
        finally:
            self._held.depth = depth
            if depth == 0:
                with self._changed:
                    self._readers -= 1
                    self._changed.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            while self._writing:
                self._changed.wait()
            self._writing = True
            own = 1 if getattr(self._held, "depth", 0) else 0  # a write from inside this thread's read
            while self._readers > own:
                self._changed.wait()
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()
