"""The server's hold on one index: readers lease the opened version, one writer commits.

Readers never wait for a write: each request leases the `Index` opened on the committed
version and, before that, compares the CURRENT file's few bytes with the version it holds; when
another commit has landed (from this server's writer or another process), the new version is
opened once and swapped in (requests arriving meanwhile wait for that open, not for any
write), and the old one is closed when its last lease ends. Writes in this
process go one at a time through `write_lock`; the index's own file lock orders them with
writers in other processes (other workers, a CLI insert), which a write waits for up to
`write_wait` seconds (then IndexBusyError, answered 409).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..corpus import Passage
from ..errors import HippoError
from ..folder import CURRENT


WRITE_WAIT_S = 30.0  # how long a write waits for another process's writer before answering 409


class _Opened:
    """One opened version and the number of requests using it."""

    def __init__(self, index: Any, name: str) -> None:
        self.index = index
        self.name = name
        self.leases = 0
        self.retired = False


class IndexHolder:
    def __init__(self, index_dir: str | Path, ppr: str | None = None, write_wait: float = WRITE_WAIT_S) -> None:
        """`ppr` overrides the index's walk for every version this holder opens; `write_wait`:
        seconds a write waits for a writer in another process."""
        from dataclasses import replace

        from ..index import Index

        self.index_dir = Path(index_dir)
        self._guard = threading.Lock()  # guards the swap and the lease counts, held for microseconds
        self._reopen = threading.Lock()  # one thread opens a new version; requests meanwhile wait for it
        self.write_lock = threading.Lock()
        self.write_wait = write_wait
        index = Index.open(self.index_dir)
        if ppr is not None and ppr != index.config.retrieval.ppr:
            retrieval = replace(index.config.retrieval, ppr=ppr)
            index.close()
            index = Index.open(self.index_dir, retrieval=retrieval)
        index.retriever.warm()  # at start-up, not in the first request
        self._current = _Opened(index, index.folder.name)

    def committed_name(self) -> str:
        """The version CURRENT names now (a read of a few bytes; no verification)."""
        try:
            return (self.index_dir / CURRENT).read_bytes()[:64].decode("ascii", "replace").strip()
        except OSError:
            return self._current.name

    def refresh(self) -> None:
        """Open the committed version if it is not the one held. A request that finds another
        thread already opening it waits for that open (about 0.1 s on musique_100) rather than
        answer from the older version: a request sent after a commit, to whichever worker of
        the server, reads that commit."""
        if self.committed_name() == self._current.name:
            return
        with self._reopen:
            if self.committed_name() != self._current.name:
                self._swap()

    def _swap(self) -> None:
        from ..index import Index

        held = self._current
        try:
            fresh = Index.open(self.index_dir, retrieval=held.index.config.retrieval, qdrant_url=held.index.config.vectors.url)
        except HippoError:
            return  # a half-visible commit or a damaged index: keep serving the held version
        fresh.retriever.warm()  # its first request must not build the walk graph, BM25 or title tables
        with self._guard:
            self._current = _Opened(fresh, fresh.folder.name)
            held.retired = True
            idle = held.leases == 0
        if idle:
            held.index.close()

    @contextmanager
    def lease(self) -> Iterator[Any]:
        """The opened Index of the latest committed version, kept open while the block runs."""
        self.refresh()
        with self._guard:
            opened = self._current
            opened.leases += 1
        try:
            yield opened.index
        finally:
            with self._guard:
                opened.leases -= 1
                close = opened.retired and opened.leases == 0
            if close:
                opened.index.close()

    def write(self, add: Sequence[Passage] = (), remove: Sequence[str] = ()) -> Any:
        """One transaction through this process's single writer; afterwards the next lease
        sees the commit (read-your-commit). While a writer in another process (another worker
        of this server, a CLI insert) holds the index's lock, waits up to `write_wait` seconds
        for it, then answers IndexBusyError (409)."""
        from ..index import WriteOptions, _write

        with self.write_lock:
            config = self._current.index.config
            summary = _write(self.index_dir, config, list(add), list(remove), WriteOptions(lock_wait=self.write_wait))
        with self._reopen:  # the writer's own commit is opened before it answers
            if self.committed_name() != self._current.name:
                self._swap()
        return summary

    def close(self) -> None:
        with self._guard:
            held = self._current
            held.retired = True
            idle = held.leases == 0
        if idle:
            held.index.close()
