"""Reader leases: a version that some process has open is not retired under it.

A commit retires versions older than the previous one, and the segments only they listed. A
reader in another process (a server worker, a library user holding an `Index`, a CLI query)
may still be on such a version: it reads some files lazily (a segment's JSON lines, the vector
file a Qdrant shard is built from), so deleting them would fail its next request.

Each version folder holds an empty `readers.lock`, made by the writer before the commit. An
opened version holds a shared `flock` on it until it is closed; retirement takes the exclusive
lock without waiting and deletes only the versions it got, holding the lock while it deletes.
Held versions, and the segments they list, stay until a later commit finds them free. Opening
stays read-only: a shared lock needs only a read-only descriptor, on a read-only file system
too. Versions written before this file existed have no lock and are retired as before, and so
are all versions on a file system that refuses `flock`.
"""

from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

READERS_FILE = "readers.lock"
# flock errors of file systems without locks (some network and FUSE mounts): leases are then
# off, and versions retire as they did before leases existed
UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}


def create(folder: Path) -> None:
    """The empty lock file of a staged version (its folder is synced with the rest of it)."""
    fd = os.open(folder / READERS_FILE, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Lease:
    """A shared lock on one version, dropped by `close` (or when the lease is collected)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its lock

    def __del__(self) -> None:
        self.close()


def lease(folder: Path) -> Lease | None:
    """A shared lock on the version, held until the lease is closed; None for a version
    without a lock file. Waits only while a retirement deletes the version, after which the
    caller sees it gone."""
    try:
        fd = os.open(folder / READERS_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError as exc:
        os.close(fd)
        if exc.errno in UNSUPPORTED:
            return None  # a file system without locks: read as before leases existed
        raise
    return Lease(fd)


@contextmanager
def exclusive(folder: Path) -> Iterator[bool]:
    """True, holding the version exclusively for the block, when no reader has it open (or it
    has no lock file); False when one does."""
    try:
        fd = os.open(folder / READERS_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in UNSUPPORTED:
                yield True  # no locks here, so no reader can have said it holds the version
                return
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            yield False
            return
        yield True
    finally:
        os.close(fd)
