"""The versioned index folder: atomic commits, one writer at a time, readers never blocked.

    DIR/CURRENT        names the committed version, e.g. "v000003"
    DIR/v000003/       manifest.json, data files, vectors/ (written once, never modified)
    DIR/v000002/       the previous version, kept so readers that opened it keep working
    .DIR.lock          beside DIR: the writer lock (flock), holding the writer's pid

A writer stages a whole new version, renames it into DIR, then replaces CURRENT with one
atomic rename: a reader sees the old version or the new one, never a mix, and a process killed
at any point leaves the last committed version in place. A brand-new index is staged beside
DIR and renamed into place whole, so a killed first build leaves no DIR at all.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import signal
import time
from pathlib import Path
from typing import IO

from .errors import IndexFormatError, IndexLockedError

CURRENT = "CURRENT"
_VERSION = re.compile(r"v(\d{6})")
FAILPOINT_ENV = "HIPPORAG_LIKE_FAILPOINT"


def failpoint(name: str) -> None:
    """Test hook: SIGKILL this process at a named point when the environment asks for it."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def version_folder(index_dir: Path) -> Path:
    """The folder of the committed version of the index at `index_dir`."""
    if not index_dir.exists():
        raise IndexFormatError(f"{index_dir}: no such index folder")
    if not index_dir.is_dir():
        raise IndexFormatError(f"{index_dir}: is a file, not an index folder")
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        if (index_dir / "manifest.json").is_file():
            raise IndexFormatError(f"{index_dir}: an index in the older, unversioned format; rebuild it")
        raise IndexFormatError(f"{pointer}: missing; {index_dir} is not a hipporag-like index")
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    if not _VERSION.fullmatch(name):
        raise IndexFormatError(f"{pointer}: damaged (names '{name[:40]}', expected a version like v000001)")
    folder = index_dir / name
    if not folder.is_dir():
        raise IndexFormatError(f"{folder}: the version named by {CURRENT} is missing")
    return folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexWriter:
    """Holds the writer lock and one staging folder; `commit()` publishes it as the new version.

    Leaving the `with` block without committing discards the staging folder.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self.staging: Path = Path()
        self._root: Path | None = None  # for a new index: the folder renamed into place whole
        self._lock: IO[str] | None = None
        self.committed = False

    # -- locking -------------------------------------------------------------------------------
    def _acquire(self) -> None:
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise IndexFormatError(f"{self.index_dir}: is a file, not an index folder")
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        lock = open(self.index_dir.parent / f".{self.index_dir.name}.lock", "a+", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            lock.close()
            raise IndexLockedError(f"{self.index_dir}: index is locked by pid {holder} (another writer is running)") from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def _release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # -- staging -------------------------------------------------------------------------------
    def __enter__(self) -> "IndexWriter":
        self._acquire()
        try:
            self._clear_leftovers()
            stamp = f"{os.getpid()}-{time.monotonic_ns()}"
            if self._is_index():
                self.staging = self.index_dir / f".staging-{stamp}"
                self.staging.mkdir()
            else:
                if (self.index_dir / "manifest.json").is_file():
                    raise IndexFormatError(f"{self.index_dir}: holds an index in the older, unversioned format; remove it or pick another folder")
                if self.index_dir.exists() and any(self.index_dir.iterdir()):
                    raise IndexFormatError(f"{self.index_dir}: exists and is not a hipporag-like index; refusing to write into it")
                self._root = self.index_dir.parent / f".{self.index_dir.name}.tmp-{stamp}"
                self.staging = self._root / "v000001"
                self.staging.mkdir(parents=True)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed:
                shutil.rmtree(self._root or self.staging, ignore_errors=True)
        finally:
            self._release()

    def _is_index(self) -> bool:
        return (self.index_dir / CURRENT).is_file()

    def _clear_leftovers(self) -> None:
        """With the lock held, anything staged by an earlier writer is from a dead process."""
        for path in self.index_dir.parent.glob(f".{self.index_dir.name}.tmp-*"):
            shutil.rmtree(path, ignore_errors=True)
        if not self._is_index():
            return
        for path in self.index_dir.glob(".staging-*"):
            shutil.rmtree(path, ignore_errors=True)
        current = _number(version_folder(self.index_dir).name)
        for path in self.index_dir.glob("v*"):
            number = _number(path.name)
            if number is not None and current is not None and number > current:
                shutil.rmtree(path, ignore_errors=True)  # renamed into place, never made current

    # -- publishing ----------------------------------------------------------------------------
    def commit(self) -> Path:
        """Publish the staged version; return its folder."""
        failpoint("before-publish")
        if self._root is not None:
            (self._root / CURRENT).write_text(self.staging.name + "\n", encoding="utf-8")
            if self.index_dir.exists():
                self.index_dir.rmdir()  # an empty folder the user made
            self._root.rename(self.index_dir)
            _fsync_dir(self.index_dir.parent)
            self.committed = True
            return self.index_dir / self.staging.name
        current = version_folder(self.index_dir)
        number = _number(current.name)
        target = self.index_dir / f"v{(number or 0) + 1:06d}"
        self.staging.rename(target)
        failpoint("after-rename")
        pointer = self.index_dir / (CURRENT + ".tmp")
        with pointer.open("w", encoding="utf-8") as out:
            out.write(target.name + "\n")
            out.flush()
            os.fsync(out.fileno())
        pointer.replace(self.index_dir / CURRENT)
        _fsync_dir(self.index_dir)
        self.committed = True
        failpoint("after-commit")
        self._retire_old_versions(keep={target.name, current.name})
        return target

    def _retire_old_versions(self, keep: set[str]) -> None:
        for path in self.index_dir.glob("v*"):
            if _VERSION.fullmatch(path.name) and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


def _number(name: str) -> int | None:
    match = _VERSION.fullmatch(name)
    return int(match.group(1)) if match else None
