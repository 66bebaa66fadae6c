"""Progress reporting: a bar on a terminal, silence otherwise or when asked to be quiet."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str) -> None: ...


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass


@dataclass(frozen=True)
class Progress:
    """Hands out progress bars; `enabled=False` makes them no-ops."""

    enabled: bool = False

    @classmethod
    def for_terminal(cls, quiet: bool) -> "Progress":
        return cls(enabled=not quiet and sys.stderr.isatty())

    @contextmanager
    def bar(self, label: str, total: int, initial: int = 0) -> Iterator[Bar]:
        if not self.enabled:
            yield _NullBar()
            return
        from tqdm import tqdm

        with tqdm(total=total, initial=initial, desc=label, unit="it", file=sys.stderr, leave=False) as bar:
            yield bar


QUIET = Progress(enabled=False)
