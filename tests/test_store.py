"""The index store keeps its promises: one writer for real (lock on the real path, checked
again at commit, compare-and-swap on CURRENT), every byte verified on open, versions that
opening never writes to, segments shared between versions instead of copied, compaction
that changes no answer and survives a kill."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hipporag_like import Index, IndexFormatError, MODES, Passage
from hipporag_like.errors import IndexLockedError
from hipporag_like.readers import READERS_FILE
from hipporag_like.folder import CURRENT, FAILPOINT_ENV, IndexWriter
from hipporag_like.store import open_version

from conftest import ROOT, SHOWCASE


@pytest.fixture()
def idx(tmp_path, demo_index_path) -> Path:
    copy = tmp_path / "idx"
    shutil.copytree(demo_index_path, copy)
    return copy


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def apparent_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


# -- one writer -----------------------------------------------------------------------------
def test_a_symlinked_path_takes_the_same_lock(idx, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(idx)
    with IndexWriter(idx):
        with pytest.raises(IndexLockedError, match="locked by this process"):
            with IndexWriter(link):
                pass


def test_a_writer_may_wait_for_a_busy_lock_but_not_for_a_bad_one(idx, tmp_path):
    import threading
    import time

    from hipporag_like.errors import IndexBusyError

    first = IndexWriter(idx)
    first.__enter__()
    threading.Timer(0.4, first.__exit__, (None, None, None)).start()  # the other writer finishes soon
    with pytest.raises(IndexBusyError, match="locked by this process"):
        with IndexWriter(idx):  # no wait: refused at once
            pass
    started = time.monotonic()
    with IndexWriter(idx, lock_wait=30.0) as waited:
        assert waited.base is not None and 0.2 < time.monotonic() - started < 10
    (tmp_path / ".idx.lock").unlink()
    (tmp_path / ".idx.lock").symlink_to(tmp_path / "elsewhere")
    started = time.monotonic()
    with pytest.raises(IndexLockedError, match="symlink"):  # not a busy writer: no waiting
        with IndexWriter(idx, lock_wait=30.0):
            pass
    assert time.monotonic() - started < 5


def test_cli_writes_wait_for_a_busy_index_when_asked(idx, tmp_path):
    corpus = tmp_path / "more.json"
    corpus.write_text(json.dumps([{"title": "Zed Corp", "text": "Zed Corp is a lantern maker founded by Alice Zed in Marrowgate."}]))
    holder = IndexWriter(idx)
    holder.__enter__()
    try:
        refused = cli("insert", str(corpus), "--index", str(idx))
        assert refused.returncode == 2 and "locked by pid" in refused.stderr
        waiting = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "insert", str(corpus), "--index", str(idx), "--wait", "120", "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None  # still waiting for the lock
    finally:
        holder.__exit__(None, None, None)
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert json.loads(out)["added"] == 1


def test_a_planted_symlink_lock_is_refused_and_its_target_untouched(idx, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / ".idx.lock").symlink_to(victim)
    with pytest.raises(IndexLockedError, match="lock file is a symlink"):
        with IndexWriter(idx):
            pass
    assert victim.read_text() == "keep me"


def test_a_writer_whose_lock_was_removed_publishes_nothing(idx, demo_passages):
    first = IndexWriter(idx)
    first.__enter__()
    try:
        (idx.parent / ".idx.lock").unlink()  # someone deletes the lock file mid-write
        with Index.open(idx) as second:  # a second writer can now lock a new file and commit
            second.delete([demo_passages[0].id])
        committed = (idx / CURRENT).read_text()
        with pytest.raises(IndexLockedError, match="lock was removed or replaced"):
            first.commit()
        assert (idx / CURRENT).read_text() == committed
    finally:
        first.__exit__(None, None, None)
    with Index.open(idx) as index:
        assert index.stats()["passages"] == 42


def test_a_stale_base_is_refused_by_compare_and_swap(idx):
    writer = IndexWriter(idx)
    writer.__enter__()
    try:
        shutil.copytree(idx / "v000001", idx / "v000002")  # a commit that bypassed the lock
        (idx / CURRENT).write_text("v000002\n")
        with pytest.raises(IndexLockedError, match="another writer committed v000002"):
            writer.commit()
        assert (idx / CURRENT).read_text() == "v000002\n"
    finally:
        writer.__exit__(None, None, None)


# -- everything verified --------------------------------------------------------------------
def test_every_file_is_verified_on_open(idx, tmp_path):
    files = [p for p in idx.rglob("*") if p.is_file() and p.name not in (CURRENT, READERS_FILE)]  # the lock holds no data
    assert len(files) > 30
    for number, path in enumerate(files):
        copy = tmp_path / f"c{number}"
        shutil.copytree(idx, copy)
        target = copy / path.relative_to(idx)
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        with pytest.raises(IndexFormatError):
            open_version(copy)
        shutil.rmtree(copy)


def test_removed_or_altered_vectors_are_refused_by_every_command(idx, tmp_path):
    vectors = next(idx.glob("segments/*/vectors.passages.npy"))
    altered = tmp_path / "altered"
    shutil.copytree(idx, altered)
    data = bytearray((altered / vectors.relative_to(idx)).read_bytes())
    for offset in range(len(data) - 40 * 4, len(data), 4):  # flip the sign of the last floats
        data[offset + 3] ^= 0x80
    (altered / vectors.relative_to(idx)).write_bytes(bytes(data))
    vectors.unlink()
    corpus = tmp_path / "one.json"
    corpus.write_text('[{"title": "Brannock Mill", "text": "Brannock Mill is a flour mill."}]')
    for folder in (idx, altered):
        for args in (["query", SHOWCASE, "--index", str(folder)], ["stats", "--index", str(folder)],
                     ["insert", str(corpus), "--index", str(folder), "--quiet"], ["verify", "--index", str(folder)]):
            done = cli(*args)
            assert done.returncode == 2, (args, done.stderr)
            assert "vectors.passages.npy" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("part", ["version array", "segment vectors"])
def test_a_write_from_an_open_index_refuses_files_damaged_since_it_opened(idx, demo_passages, part):
    """A write starts from the caller's open version when CURRENT still names it: files changed
    since the open must be refused as an open would refuse them, and nothing published."""
    with Index.open(idx) as index:
        target = (next(index.version.folder.glob("d.graph_weight.npy")) if part == "version array"
                  else next(idx.glob("segments/*/vectors.phrases.npy")))
        data = bytearray(target.read_bytes())
        data[-3] ^= 0x10  # same size, other bytes
        target.write_bytes(bytes(data))
        before = (idx / CURRENT).read_text()
        with pytest.raises(IndexFormatError, match=target.name):
            index.insert([Passage.make("Brannock Mill", "Brannock Mill is a flour mill on the Tessel.")])
        assert (idx / CURRENT).read_text() == before


def test_a_manifest_that_leaves_arrays_unlisted_is_refused(idx):
    """Only listed files are hash-checked, so a manifest edited to list fewer arrays (or none)
    must be refused by name, not pass `verify` with its arrays unchecked."""
    path = next(idx.glob("v*/manifest.json"))
    manifest = json.loads(path.read_text())
    assert set(manifest["files"]) == {p.name for p in path.parent.glob("*.npy")}  # the writer lists every array
    for files, first in (({}, "t.passage_live.npy"),
                         ({k: v for k, v in manifest["files"].items() if k != "d.graph_weight.npy"}, "d.graph_weight.npy")):
        path.write_text(json.dumps({**manifest, "files": files}))
        with pytest.raises(IndexFormatError, match=f"manifest.json: does not list {first}"):
            open_version(idx)
        done = cli("verify", "--index", str(idx))
        assert done.returncode == 2, done.stdout
        assert str(path) in done.stderr and first in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_segment_file_left_out_of_its_segment_json_is_never_read(idx):
    """The careful tamperer again: segment.json loses a file's entry and the version manifest
    gets segment.json's new hash, so the file would go unchecked; reading it is refused."""
    from hipporag_like.text import content_hash

    version_path = next(idx.glob("v*/manifest.json"))
    manifest = json.loads(version_path.read_text())
    entry = manifest["segments"][0]
    segment_json = idx / "segments" / entry["name"] / "segment.json"
    meta = json.loads(segment_json.read_text())
    del meta["files"]["vectors.facts.npy"]
    raw = json.dumps(meta, indent=1, sort_keys=True).encode("utf-8")
    segment_json.write_bytes(raw)
    entry["sha256"] = content_hash(raw)
    version_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"vectors\.facts\.npy: not listed in .*segment\.json"):
        open_version(idx)
    done = cli("verify", "--index", str(idx))
    assert done.returncode == 2 and "not listed in" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("edit", ["wider", "not a number"])
def test_an_edited_embedder_dim_is_refused_naming_a_real_file(idx, edit):
    path = next(idx.glob("v*/manifest.json"))
    manifest = json.loads(path.read_text())
    dim = manifest["embedder"]["dim"]
    manifest["embedder"]["dim"] = dim + 1 if edit == "wider" else str(dim)
    path.write_text(json.dumps(manifest))
    named = next(idx.glob("segments/*/vectors.passages.npy")) if edit == "wider" else path
    with pytest.raises(IndexFormatError) as caught:
        open_version(idx)
    message = str(caught.value)
    assert message.startswith(f"{named}: ") and named.is_file() and "embedder.dim" in message
    if edit == "wider":
        assert f"{dim} wide" in message and str(dim + 1) in message
    done = cli("verify", "--index", str(idx))
    assert done.returncode == 2 and str(named) in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_verify_reports_a_healthy_index(idx):
    done = cli("verify", "--index", str(idx), "--json")
    assert done.returncode == 0, done.stderr
    assert '"ok": true' in done.stdout


# -- read-only versions ---------------------------------------------------------------------
def _read_only(folder: Path, mount: Path) -> bool:
    """A read-only view of `folder` at `mount`: a bind mount as root, else a copy without write bits."""
    mount.mkdir()
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", str(folder), str(mount)], capture_output=True)
        if bound.returncode == 0:
            if subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True).returncode == 0:
                return True
            subprocess.run(["umount", str(mount)])
        pytest.skip("no read-only bind mount here, and root ignores permission bits")
    mount.rmdir()
    shutil.copytree(folder, mount)
    for path in [mount, *mount.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return False


def test_queries_of_every_mode_work_on_read_only_storage_and_write_nothing(idx, tmp_path):
    before = snapshot(idx)
    mount = tmp_path / "ro"
    mounted = _read_only(idx, mount)
    try:
        cache = tmp_path / "fresh-cache"  # no shards built yet: they are derived outside the index
        for mode in MODES:
            done = cli("query", SHOWCASE, "--index", str(mount), "--mode", mode, "-k", "3", "--json",
                       env={"HIPPORAG_LIKE_CACHE": str(cache)})
            assert done.returncode == 0, (mode, done.stderr)
            assert '"passages"' in done.stdout
    finally:
        if mounted:
            subprocess.run(["umount", str(mount)])
    assert snapshot(idx) == before


# -- writes share segments -------------------------------------------------------------------
def test_ten_inserts_stay_within_the_disk_bound(tmp_path, demo_passages):
    grown = Index.build(demo_passages[:23], tmp_path / "grown")
    try:
        for start in range(23, 43, 2):
            grown.insert(demo_passages[start : start + 2])
        assert grown.manifest["counts"]["segments"] == 11
        fresh = Index.build(demo_passages[:43], tmp_path / "fresh")
        fresh.close()
        assert apparent_bytes(tmp_path / "grown") <= 1.3 * apparent_bytes(tmp_path / "fresh")
        assert len(list((tmp_path / "grown").glob("v*"))) == 2
        hits = [p.id for p in grown.retrieve(SHOWCASE, k=5).passages]
        with Index.open(tmp_path / "fresh") as other:
            assert hits == [p.id for p in other.retrieve(SHOWCASE, k=5).passages]
    finally:
        grown.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fd through /proc")
def test_every_file_and_folder_of_a_commit_is_synced_before_current_moves(tmp_path, demo_passages, monkeypatch):
    """A power cut must leave the old version or the whole new one: every file of the new version
    and segment, and the folders holding them, reach the disk before CURRENT names them."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def published_after(files: list[Path], moved_from: dict[str, str]) -> None:
        current = max((i for i, path in enumerate(synced) if Path(path).name.startswith(CURRENT)), default=None)
        assert current is not None, f"{CURRENT} itself was never synced"
        # a file written as NAME.tmp and renamed once synced counts as NAME
        before = {Path(p).parent.name + "/" + Path(p).name.removesuffix(".tmp") for p in synced[:current]}
        folders = {Path(p).name for p in synced[:current]}
        for path in files:
            parent = moved_from.get(path.parent.name, path.parent.name)
            assert f"{parent}/{path.name}" in before, f"{path} was not synced before {CURRENT} moved"
            assert parent in folders or path.parent.name in folders, f"{path.parent} was not synced"

    monkeypatch.setattr(os, "fsync", recording_fsync)
    built = Index.build(demo_passages[:20], tmp_path / "idx")
    first = sorted(p for p in (tmp_path / "idx").rglob("*") if p.is_file() and p.name != CURRENT)
    published_after(first, {"v000001": "v000001"})
    synced.clear()
    built.insert(demo_passages[20:22])
    version = tmp_path / "idx" / (tmp_path / "idx" / CURRENT).read_text().strip()
    segment = tmp_path / "idx" / "segments" / built.manifest["segments"][-1]["name"]
    published_after(sorted(version.iterdir()) + sorted(segment.iterdir()), {version.name: "version"})
    built.close()


def test_compaction_changes_no_answer_and_drops_dead_rows(idx, demo_passages):
    with Index.open(idx) as index:
        index.delete([p.id for p in demo_passages[:5]])
        index.insert(demo_passages[:2])
        before = {mode: [(p.id, round(p.score, 6)) for p in index.retrieve(SHOWCASE, k=8, mode=mode).passages] for mode in MODES}
        rows_before = index.stats()["rows"]["passages"]
        index.compact()
        assert index.manifest["counts"]["segments"] == 1
        assert index.stats()["rows"]["passages"] == index.stats()["passages"] == 40 < rows_before
        after = {mode: [(p.id, round(p.score, 6)) for p in index.retrieve(SHOWCASE, k=8, mode=mode).passages] for mode in MODES}
        assert after == before
        assert index.verify()["ok"]


def test_a_kill_during_compaction_leaves_the_index_as_it_was(idx):
    before = snapshot(idx)
    code = "import sys; from hipporag_like import Index; Index.open(sys.argv[1]).compact()"
    killed = subprocess.run([sys.executable, "-c", code, str(idx)], env={**os.environ, FAILPOINT_ENV: "during-compaction"},
                            capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert {k: v for k, v in snapshot(idx).items() if not k.startswith(".staging")} == before
    with Index.open(idx) as index:
        assert index.stats()["passages"] == 43
        index.compact()  # the next writer clears the leftovers and succeeds
    assert not list(idx.glob(".staging-*"))


def test_insert_takes_triples_from_an_openie_file(idx, tmp_path):
    """An index can grow with passages the original triples never covered (issue 8, item 6)."""
    title, text = "Brannock Mill", "Brannock Mill is a flour mill that Orla Venn built in 1971."
    corpus = tmp_path / "new.json"
    corpus.write_text(json.dumps([{"title": title, "text": text}]))
    openie = tmp_path / "new_openie.json"
    openie.write_text(json.dumps({"docs": [{"passage": f"{title}\n{text}", "extracted_entities": ["Brannock Mill", "Orla Venn"],
                                            "extracted_triples": [["Orla Venn", "built", "Brannock Mill"]]}]}))
    done = cli("insert", str(corpus), "--index", str(idx), "--openie", str(openie), "--json")
    assert done.returncode == 0, done.stderr
    with Index.open(idx) as index:
        assert ("orla venn", "built", "brannock mill") in set(index.data.facts.triples)
        assert index.manifest["extractor"]["fingerprint"].startswith("openie")


def test_records_stay_whole_when_triples_come_from_a_file(tmp_path):
    """An OpenIE file names passages by their whole text: a long record is never cut then."""
    from hipporag_like import PipelineConfig
    from hipporag_like.policies import reading_chunking

    openie = PipelineConfig().with_overrides("extractor", kind="openie", openie_file=str(tmp_path / "o.json"))
    assert reading_chunking(openie).enabled is False
    assert reading_chunking(PipelineConfig()).enabled is True


def test_threads_share_one_freshly_opened_index(idx):
    """A server's request threads query one opened index at once: its lazy parts (line maps,
    shards, BM25) must come up once and safely."""
    from concurrent.futures import ThreadPoolExecutor

    with Index.open(idx) as index:
        def ask(mode: str) -> list[str]:
            return [p.id for p in index.retrieve(SHOWCASE, k=5, mode=mode).passages]

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(ask, [m for m in MODES for _ in range(4)]))
        for mode, group in zip(MODES, [answers[i:i + 4] for i in range(0, len(answers), 4)]):
            assert all(a == group[0] and len(a) == 5 for a in group), mode


# -- synonyms against large segments ----------------------------------------------------------
def synonym_keys(index: Index) -> set[tuple[str, str]]:
    t, v = index.version.tables, index.version
    return {tuple(sorted((str(v.line("phrases", int(a))), str(v.line("phrases", int(b)))))) for a, b in zip(t.syn_a, t.syn_b)}


def test_a_large_segment_in_list_order_answers_as_one_in_extraction_order(tmp_path, demo_passages, monkeypatch):
    """A large segment stores its phrases list by list of their inverted file (a renumbering),
    for a build and for a compaction: every mode answers as the same index without one does."""
    import hipporag_like.changes as changes

    def answers(index: Index) -> dict:
        return {mode: [(p.id, round(p.score, 6)) for p in index.retrieve(SHOWCASE, k=8, mode=mode).passages] for mode in MODES}

    monkeypatch.setattr(changes, "IVF_MIN_PHRASES", 10**9)
    with Index.build(demo_passages, tmp_path / "plain") as plain:
        want = answers(plain)
        plain_phrases = [plain.version.line("phrases", r) for r in range(plain.version.tables.n_phrases)]
    monkeypatch.setattr(changes, "IVF_MIN_PHRASES", 50)
    with Index.build(demo_passages, tmp_path / "listed") as listed:
        segment = listed.version.segments[0]
        phrases = [listed.version.line("phrases", r) for r in range(listed.version.tables.n_phrases)]
        assert sorted(phrases) == sorted(plain_phrases) and phrases != plain_phrases  # renumbered
        assert np.asarray(segment.phrase_ivf().members).tolist() == list(range(len(phrases)))
        assert answers(listed) == want
        listed.delete([p.id for p in demo_passages[:3]])
        listed.insert(demo_passages[:3])
        listed.compact()
        assert np.asarray(listed.version.segments[0].phrase_ivf().members).tolist() == list(range(listed.version.tables.n_phrases))
        assert answers(listed) == want and listed.verify()["ok"]


def test_inserts_find_synonyms_through_a_large_segments_inverted_file(tmp_path, demo_passages, monkeypatch):
    """A segment with many phrases keeps their inverted file (hashed with the segment), and a
    later insert compares its new phrases only with the probed lists: it finds the synonym
    pairs a fresh build finds by comparing everything, and no others."""
    import hipporag_like.changes as changes

    monkeypatch.setattr(changes, "IVF_MIN_PHRASES", 50)  # the demo's first segment counts as large
    with Index.build(demo_passages[:30], tmp_path / "grown") as grown:
        first = grown.version.segments[0]
        assert {"ivf.phrases.centroids.npy", "ivf.phrases.members.npy", "ivf.phrases.offsets.npy"} <= set(first.files)
        ivf = first.phrase_ivf()
        # stored list by list: each list is a run of rows, so inserts read it as one slice
        assert np.asarray(ivf.members).tolist() == list(range(first.counts["phrases"]))
        for start in range(30, len(demo_passages), 3):
            grown.insert(demo_passages[start : start + 3])
        assert all(s.phrase_ivf() is None for s in grown.version.segments[1:])  # small batches keep none
        found = synonym_keys(grown)
    monkeypatch.setattr(changes, "IVF_MIN_PHRASES", 10**9)
    with Index.build(demo_passages, tmp_path / "fresh") as fresh:
        truth = synonym_keys(fresh)
    assert len(truth) >= 5 and found == truth
    centroids = next((tmp_path / "grown").glob("segments/*/ivf.phrases.centroids.npy"))
    data = bytearray(centroids.read_bytes())
    data[-1] ^= 0x01
    centroids.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError):
        open_version(tmp_path / "grown")


def test_a_short_write_names_its_file(tmp_path, monkeypatch):
    """numpy reports a full disk as "134400 requested and 34784 written", naming no file."""
    import numpy as np

    from hipporag_like import segments

    def short_write(out, array, allow_pickle):
        raise OSError("134400 requested and 34784 written")

    monkeypatch.setattr(segments.np, "save", short_write)
    with pytest.raises(OSError) as caught:
        segments.save_array(tmp_path / "t.x.npy", np.zeros(3))
    assert caught.value.filename == str(tmp_path / "t.x.npy")
    assert caught.value.strerror == "short write (134400 requested and 34784 written); is the disk full?"


def test_a_cache_that_cannot_be_written_is_not_called_damaged(tmp_path):
    """A full or read-only disk must not be answered with "move the cache away": it holds
    extraction and embeddings already paid for."""
    import sqlite3

    from hipporag_like.cache import KeyValueCache
    from hipporag_like.errors import InputError

    cache = KeyValueCache(tmp_path / "cache")
    cache.put("kept", "paid for")
    cache.close()
    cache = KeyValueCache(tmp_path / "cache")
    cache._db = sqlite3.connect(f"file:{tmp_path / 'cache' / 'cache.sqlite3'}?mode=ro", uri=True, check_same_thread=False)
    with pytest.raises(InputError, match=r"cache.sqlite3: cannot write the cache \(attempt to write a readonly database\); "
                                         r"is its disk full or read-only\?"):
        cache.put("new", "value")
    assert cache.get("kept") == "paid for"
    cache.close()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "cache.sqlite3").write_text("not a database at all, really")
    with pytest.raises(InputError, match="not a usable cache .*move it away"):
        KeyValueCache(tmp_path / "other")


def test_damaged_cache_entries_are_computed_again(tmp_path):
    """A cache is a copy of paid-for work: an entry that no longer reads is redone, not a crash."""
    import sqlite3

    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps([{"title": "Alder Quay", "text": "Alder Quay is a harbour town on the Brimwell river."},
                                  {"title": "Brimwell", "text": "Brimwell is a river in the north."}]))
    first = cli("index", str(corpus), "--index", str(tmp_path / "one"), "--cache-dir", str(tmp_path / "cache"), "--quiet")
    assert first.returncode == 0, first.stderr
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    db.execute("UPDATE kv SET value = '{garbage'")
    db.execute("UPDATE vec SET value = x'0102'")
    db.commit()
    db.close()
    again = cli("index", str(corpus), "--index", str(tmp_path / "two"), "--cache-dir", str(tmp_path / "cache"), "--quiet", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["passages"] == 2
    (tmp_path / "folder" / "cache.sqlite3").mkdir(parents=True)
    refused = cli("index", str(corpus), "--index", str(tmp_path / "three"), "--cache-dir", str(tmp_path / "folder"))
    assert refused.returncode == 2 and refused.stderr.strip().endswith("cache.sqlite3: is a folder, not the cache file; "
                                                                          "move it away, or give another --cache-dir")


def test_manifest_counts_must_agree_with_the_arrays(idx):
    """`stats` reports the manifest's counts: an edited count once passed `verify`."""
    path = next(idx.glob("v*/manifest.json"))
    manifest = json.loads(path.read_text())
    manifest["counts"]["passages"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"manifest.json: counts.passages says 99, the arrays hold \d+"):
        open_version(idx)
    done = cli("verify", "--index", str(idx))
    assert done.returncode == 2 and "counts.passages says 99" in done.stderr
