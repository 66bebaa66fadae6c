"""A small on-disk key/value cache (SQLite in WAL mode) shared by every index.

Holds paid-for work: extraction results and embeddings. Each write commits at once, so a
killed process loses at most the item in flight. Values are text or raw float32 bytes:
nothing is ever unpickled.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .errors import InputError

_CHUNK = 500


def default_cache_dir() -> Path:
    """`$HIPPORAG_LIKE_CACHE`, else the user's cache folder."""
    env = os.environ.get("HIPPORAG_LIKE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hipporag-like"


class KeyValueCache:
    """Text values keyed by strings, plus float32 vectors keyed by strings."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.folder}: cannot be the cache folder ({exc.strerror}); give another --cache-dir "
                             "or HIPPORAG_LIKE_CACHE") from None
        self._lock = threading.Lock()  # one connection shared by worker threads
        path = self.folder / "cache.sqlite3"
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not the cache file; move it away, or give another --cache-dir")
        try:
            self._db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise _cache_error(path, exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _cache_error(path, exc) from None

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return dict(self._select("kv", list(keys)))

    def put_many(self, items: Mapping[str, str]) -> None:
        self._write("INSERT OR REPLACE INTO kv VALUES (?, ?)", list(items.items()))

    def delete_many(self, keys: Iterable[str]) -> None:
        self._write("DELETE FROM kv WHERE key = ?", [(k,) for k in keys])

    def _write(self, statement: str, rows: list[Any]) -> None:
        try:
            with self._lock, self._db:
                self._db.executemany(statement, rows)
        except sqlite3.DatabaseError as exc:  # a full or read-only disk, most often
            raise _cache_error(self.folder / "cache.sqlite3", exc) from None

    def keys_with_prefix(self, prefix: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT key FROM kv WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)).fetchall()
        return [r[0] for r in rows]

    def get(self, key: str) -> str | None:
        return self.get_many([key]).get(key)

    def put(self, key: str, value: str) -> None:
        self.put_many({key: value})

    def get_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors; an entry that is not whole float32s is damaged and left out (recomputed)."""
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self._select("vec", keys)
                if isinstance(v, bytes) and len(v) % 4 == 0 and v}

    def put_vectors(self, keys: list[str], vectors: np.ndarray) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        self._write("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)

    def _select(self, table: str, keys: list[str]) -> list[tuple[str, object]]:
        rows: list[tuple[str, object]] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            try:
                with self._lock:
                    rows.extend(self._db.execute(f"SELECT key, value FROM {table} WHERE key IN ({marks})", chunk))
            except sqlite3.DatabaseError as exc:  # a damaged file ("database disk image is malformed")
                raise _cache_error(self.folder / "cache.sqlite3", exc) from None
        return rows


def _cache_error(path: Path, exc: sqlite3.DatabaseError) -> InputError:
    """What went wrong with the cache file, in one line: a file that is not a cache may be moved
    away; a full or read-only disk must not be answered by throwing paid-for work away."""
    if "not a database" in str(exc) or "malformed" in str(exc):
        return InputError(f"{path}: not a usable cache ({exc}); move it away, or give another --cache-dir")
    return InputError(f"{path}: cannot write the cache ({exc}); is its disk full or read-only? "
                      "free space there, or give another --cache-dir")

