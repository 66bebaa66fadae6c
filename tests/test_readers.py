"""Reader leases (readers.py): a commit never deletes a version another process has open."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SHOWCASE
from hipporag_like import Index, Passage
from hipporag_like import store
from hipporag_like.readers import READERS_FILE

NEW = [Passage.make(f"Quay {n}", f"Quay {n} is a harbour on the Amberline Sea, built in {1900 + n} by Mira Tonn.") for n in range(3)]


@pytest.fixture()
def idx(tmp_path: Path, demo_index_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo_index_path, copy)
    return copy


def _segments(index_dir: Path, version: str) -> set[str]:
    return {entry["name"] for entry in store.read_manifest_file(index_dir / version)["segments"]}


READER = textwrap.dedent("""
    import sys
    from hipporag_like import Index
    with Index.open(sys.argv[1]) as index:
        print(index.folder.name, flush=True)
        sys.stdin.readline()  # the test commits meanwhile
        result = index.retrieve(sys.argv[2], k=3)
        print(result.passages[0].title, len(result.passages[0].text) > 0, flush=True)
        sys.stdin.readline()
""")


def test_a_version_open_in_another_process_outlives_later_commits_then_goes(idx: Path) -> None:
    reader = subprocess.Popen([sys.executable, "-c", READER, str(idx), SHOWCASE], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        held = reader.stdout.readline().strip()  # type: ignore[union-attr]
        assert (idx / held / READERS_FILE).is_file()
        only_there = _segments(idx, held)
        with Index.open(idx) as writer:
            writer.compact()  # the next version lists a new segment, not the held version's
            writer.insert([NEW[0]])  # the held version is now older than the previous one
            assert (idx / held).is_dir() and all((idx / "segments" / name).is_dir() for name in only_there)
            reader.stdin.write("\n")  # type: ignore[union-attr]
            reader.stdin.flush()  # type: ignore[union-attr]
            title, has_text = reader.stdout.readline().strip().rsplit(" ", 1)  # type: ignore[union-attr]
            assert title and has_text == "True"  # its lazy reads still find their files
            reader.stdin.write("\n")  # type: ignore[union-attr]
            reader.stdin.flush()  # type: ignore[union-attr]
            assert reader.wait(timeout=60) == 0
            writer.insert([NEW[1]])  # free now: this commit retires it
            assert not (idx / held).exists()
            assert not any((idx / "segments" / name).exists() for name in only_there - _segments(idx, writer.folder.name))
    finally:
        if reader.poll() is None:
            reader.kill()


def test_a_version_without_a_lock_file_is_retired_as_before(idx: Path) -> None:
    first = (idx / "CURRENT").read_text().strip()
    (idx / first / READERS_FILE).unlink()  # written before leases existed
    with Index.open(idx) as old, Index.open(idx) as writer:  # `old` holds it, but cannot say so
        assert old.version.lease is None
        writer.insert([NEW[0]])
        writer.insert([NEW[1]])
        assert not (idx / first).exists()


def test_opening_follows_current_when_its_version_went_meanwhile(idx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = store.version_folder
    answers = iter([idx / "v000099"])  # a version retired between reading CURRENT and leasing it

    def stale_then_real(index_dir: Path) -> Path:
        return next(answers, None) or real(index_dir)

    monkeypatch.setattr(store, "version_folder", stale_then_real)
    version = store.open_version(idx)
    try:
        assert version.folder == real(idx) and version.lease is not None
    finally:
        version.close()


def test_a_damaged_version_is_still_refused_not_retried(idx: Path) -> None:
    (store.version_folder(idx) / "t.passage_live.npy").write_bytes(b"damaged")
    with pytest.raises(store.IndexFormatError, match="t.passage_live.npy"):
        store.open_version(idx)


def test_a_file_system_without_locks_opens_and_retires_as_before(idx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    from hipporag_like import readers

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    folder = store.version_folder(idx)
    version = store.open_version(idx)  # opens, unprotected, rather than failing
    try:
        assert version.lease is None
        with readers.exclusive(folder) as free:
            assert free  # nobody can hold it here, so retirement goes ahead as it used to
    finally:
        version.close()
