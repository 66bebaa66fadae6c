"""The versioned index folder: atomic commits, one writer at a time, readers never blocked.

    DIR/CURRENT        names the committed version, e.g. "v000003"
    DIR/v000003/       manifest.json and the version's arrays (written once, never modified)
    DIR/v000002/       the previous version, kept so readers that opened it keep working
    DIR/segments/      immutable segments, shared by every version that lists them
    .DIR.lock          beside DIR (DIR's real path): the writer lock (flock), holding the pid

A writer stages its new segment and version, moves the segment into DIR/segments (unlisted,
so harmless until published), renames the version into DIR, then replaces CURRENT with one
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
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import IndexBusyError, IndexFormatError, IndexLockedError

CURRENT = "CURRENT"
LOCK_RETRY_S = 0.05  # how often a waiting writer tries the lock again
_VERSION = re.compile(r"v(\d{6})")
FAILPOINT_ENV = "HIPPORAG_LIKE_FAILPOINT"
SEGMENTS = "segments"


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
    raw = pointer.read_bytes()[:64]
    name = raw.decode("ascii", errors="replace").strip()
    if not _VERSION.fullmatch(name):
        shown = name.encode("ascii", "backslashreplace").decode("ascii")[:24].encode("unicode_escape").decode("ascii")
        raise IndexFormatError(f"{pointer}: damaged (expected a version name like v000001, found {shown!r})")
    folder = index_dir / name
    if not folder.is_dir():
        raise IndexFormatError(f"{folder}: the version named by {CURRENT} is missing")
    return folder


def enclosing_index(path: Path) -> Path | None:
    """The index folder that `path` (existing or not) lies in or is, if any: a report or a
    drawing written there could replace CURRENT or a version's file."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / CURRENT).is_file():
            return folder
    return None


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """A failed write names its file: numpy's short write ("134400 requested and 34784
    written") and a bare ENOSPC say neither which file nor that the disk is full."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        reason = exc.strerror or f"short write ({exc}); is the disk full?"
        raise OSError(exc.errno, reason, str(path)) from None


def write_synced(path: Path, text: str) -> None:
    """A small text file, on disk before this returns (CURRENT, a manifest)."""
    with naming(path), path.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def fsync_path(path: Path) -> None:
    """fsync a file or folder by path (a folder's sync makes the names in it durable)."""
    with naming(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class IndexWriter:
    """Holds the writer lock and one staging area; `commit()` publishes it as the new version.

    A write stages its new segments in `segments_dir` and the version's files in `staging`.
    Leaving the `with` block without committing discards both. The lock is taken on the index's
    real path (symlinks resolved), never through a symlinked lock file, and checked again at
    commit; the commit itself is a compare-and-swap on CURRENT, so a writer whose lock was
    broken, or whose base version is no longer current, publishes nothing.
    """

    def __init__(self, index_dir: str | Path, lock_wait: float = 0.0) -> None:
        """`lock_wait`: seconds to wait while another live writer holds the lock (0: fail at once)."""
        self.lock_wait = lock_wait
        self.requested = Path(index_dir)
        self.index_dir = Path(os.path.realpath(index_dir))
        self.staging: Path = Path()
        self.segments_dir: Path = Path()
        self.base: str | None = None  # the version this write started from (None: a new index)
        self._root: Path | None = None  # for a new index: the folder renamed into place whole
        self._area: Path | None = None  # for an existing index: the staging area inside it
        self._lock_fd: int | None = None
        self._lock_path = self.index_dir.parent / f".{self.index_dir.name}.lock"
        self.committed = False
        self.retired_versions: list[Path] = []

    # -- locking -------------------------------------------------------------------------------
    def _acquire(self) -> None:
        """The writer lock, waiting up to `lock_wait` seconds while a live writer holds it."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return self._try_acquire()
            except IndexBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(LOCK_RETRY_S)

    def _try_acquire(self) -> None:
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise IndexFormatError(f"{self.requested}: is a file, not an index folder")
        for parent in self.index_dir.parents:
            if parent.exists() and not parent.is_dir():
                raise IndexFormatError(f"{self.requested}: {parent} is a file, so no index folder can be made under it")
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise IndexLockedError(f"{self._lock_path}: the lock file is a symlink; remove it (refusing to follow it)") from None
                raise
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise IndexLockedError(f"{self._lock_path}: the lock file is not a regular file; remove it")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                who = ("this process (another Index object or thread is writing)" if holder == str(os.getpid())
                       else f"pid {holder} (another writer is running)")
                raise IndexBusyError(f"{self.requested}: index is locked by {who}") from None
            if self._same_file(fd):
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
                self._lock_fd = fd
                return
            os.close(fd)  # removed or replaced between open and flock: take the new one
        raise IndexLockedError(f"{self._lock_path}: the lock file keeps changing; another process is interfering")

    def _same_file(self, fd: int) -> bool:
        try:
            on_disk = os.lstat(self._lock_path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (on_disk.st_ino, on_disk.st_dev) == (held.st_ino, held.st_dev)

    def _release(self) -> None:
        if self._lock_fd is not None:
            if not self._is_index() and self._same_file(self._lock_fd):
                # No index came of it (a refused or failed first build): leave nothing beside the
                # target. A writer that opened this file meanwhile sees it replaced and retries.
                try:
                    os.unlink(self._lock_path)
                except OSError:
                    pass
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- staging -------------------------------------------------------------------------------
    def __enter__(self) -> "IndexWriter":
        self._acquire()
        try:
            self._clear_leftovers()
            stamp = f"{os.getpid()}-{time.monotonic_ns()}"
            if self._is_index():
                self.base = version_folder(self.index_dir).name
                self._area = self.index_dir / f".staging-{stamp}"
                self.staging = self._area / "version"
                self.segments_dir = self._area / "segments"
            else:
                if (self.index_dir / "manifest.json").is_file():
                    raise IndexFormatError(f"{self.requested}: holds an index in the older, unversioned format; remove it or pick another folder")
                if self.index_dir.exists() and any(self.index_dir.iterdir()):
                    raise IndexFormatError(f"{self.requested}: exists and is not a hipporag-like index; refusing to write into it")
                self._root = self.index_dir.parent / f".{self.index_dir.name}.tmp-{stamp}"
                self.staging = self._root / "v000001"
                self.segments_dir = self._root / SEGMENTS
            self.staging.mkdir(parents=True)
            self.segments_dir.mkdir(parents=True, exist_ok=True)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed:
                shutil.rmtree(self._root or self._area or self.staging, ignore_errors=True)
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
    def _check_still_ours(self) -> None:
        if self._lock_fd is None or not self._same_file(self._lock_fd):
            raise IndexLockedError(f"{self._lock_path}: the writer lock was removed or replaced during this write; nothing was published")
        current = (self.index_dir / CURRENT).read_text(encoding="utf-8", errors="replace").strip() if self._is_index() else None
        if current != self.base:
            raise IndexLockedError(
                f"{self.requested}: another writer committed {str(current)[:12]} since this write started from {self.base}; nothing was published"
            )

    def _sync_staged(self) -> None:
        """The staged folders' entries on disk (their files were synced as written): with CURRENT
        synced last, a power cut leaves the old version or the whole new one."""
        for segment in sorted(self.segments_dir.iterdir()) if self.segments_dir.is_dir() else []:
            fsync_path(segment)
        for folder in (self.segments_dir, self.staging):
            if folder.is_dir():
                fsync_path(folder)

    def commit(self) -> Path:
        """Publish the staged version (compare-and-swap on CURRENT); return its folder."""
        failpoint("before-publish")
        self._check_still_ours()
        self._sync_staged()
        if self._root is not None:
            write_synced(self._root / CURRENT, self.staging.name + "\n")
            fsync_path(self._root)
            if self.index_dir.exists():
                self.index_dir.rmdir()  # an empty folder the user made
            self._root.rename(self.index_dir)
            fsync_path(self.index_dir.parent)
            self.committed = True
            return self.index_dir / self.staging.name
        assert self._area is not None and self.base is not None
        shared = self.index_dir / SEGMENTS
        shared.mkdir(exist_ok=True)
        for segment in sorted(self.segments_dir.iterdir()):
            segment.rename(shared / segment.name)  # unreferenced until CURRENT moves: harmless
        fsync_path(shared)
        target = self.index_dir / f"v{(_number(self.base) or 0) + 1:06d}"
        self.staging.rename(target)  # fails if another writer took this number: nothing published
        failpoint("after-rename")
        self._check_still_ours()
        pointer = self.index_dir / (CURRENT + ".tmp")
        write_synced(pointer, target.name + "\n")
        pointer.replace(self.index_dir / CURRENT)
        fsync_path(self.index_dir)
        self.committed = True
        shutil.rmtree(self._area, ignore_errors=True)
        failpoint("after-commit")
        self.retired_versions = [p for p in self.index_dir.glob("v*") if _VERSION.fullmatch(p.name) and p.name not in {target.name, self.base}]
        return target


def _number(name: str) -> int | None:
    match = _VERSION.fullmatch(name)
    return int(match.group(1)) if match else None
