"""Insert, delete and update equal a rebuild; one writer at a time; readers keep working."""

from __future__ import annotations

import shutil

import pytest

from hipporag_like import Index, IndexFormatError, InputError, Passage
from hipporag_like.errors import IndexLockedError
from hipporag_like.folder import IndexWriter
from hipporag_like.graph import EDGE_KINDS


def canonical(index: Index) -> tuple[set, set, dict]:
    """Phrases, facts and edges named by content, so two builds can be compared."""
    data = index.data
    n = len(data.passages)

    def label(node: int) -> str:
        return f"p:{data.passages[node].id}" if node < n else f"e:{data.phrases.keys[node - n]}"

    edges = {}
    for s, d, w, k in zip(data.edges.src, data.edges.dst, data.edges.weight, data.edges.kind):
        a, b = sorted((label(int(s)), label(int(d))))
        edges[(EDGE_KINDS[int(k)], a, b)] = float(w)
    return set(data.phrases.keys), set(data.facts.triples), edges


def assert_same_graph(a: Index, b: Index) -> None:
    phrases_a, facts_a, edges_a = canonical(a)
    phrases_b, facts_b, edges_b = canonical(b)
    assert phrases_a == phrases_b
    assert facts_a == facts_b
    assert edges_a.keys() == edges_b.keys()
    for key, weight in edges_a.items():
        assert weight == pytest.approx(edges_b[key], abs=1e-4), key
    for kind, size in (("phrases", len(phrases_a)), ("facts", len(facts_a)), ("passages", len(a.data.passages))):
        assert a.stats()[kind] == b.stats()[kind] == size
        assert a.store.count(kind) == a.stats()["rows"][kind]  # every row's vector, dead ones until compaction
    assert a.verify()["ok"] and b.verify()["ok"]


@pytest.fixture()
def demo_copy(tmp_path, demo_index_path):
    copy = tmp_path / "idx"
    shutil.copytree(demo_index_path, copy)
    return copy


def test_insert_equals_rebuild_of_the_union(tmp_path, demo_passages, demo_index):
    cache = tmp_path / "cache"
    Index.build(demo_passages[30:], tmp_path / "warm", cache_dir=cache).close()  # extracts the 13 into this test's cache
    base = Index.build(demo_passages[:30], tmp_path / "grown", cache_dir=cache)
    try:
        summary = base.insert(demo_passages[25:], cache_dir=cache)  # 5 already there, 13 new
        assert (len(summary.added), summary.already_present) == (13, 5)
        assert summary.manifest["extractor"]["cache_hits"] == 13  # extracted by the session build already
        assert base.folder.name == "v000002"
        assert_same_graph(base, demo_index)
        assert base.insert(demo_passages[:3]).changed is False  # nothing new: no new version
        assert base.folder.name == "v000002"
    finally:
        base.close()


def test_delete_equals_rebuild_without(tmp_path, demo_copy, demo_passages):
    gone = next(p for p in demo_passages if p.title == "Greywick Press")
    with Index.open(demo_copy) as index:
        only_there = {t for t, ps in zip(index.data.facts.triples, index.data.facts.passages)
                      if ps == [index.data.passages.index(gone)]}
        assert only_there
        summary = index.delete([gone.id])
        assert summary.removed == [gone.id]
        rebuilt = Index.build([p for p in demo_passages if p.id != gone.id], tmp_path / "rebuilt")
        try:
            assert_same_graph(index, rebuilt)
        finally:
            rebuilt.close()
        for mode in ("hybrid", "dense", "ppr-fact", "bm25"):
            result = index.retrieve("Who founded the publishing house Greywick Press in 1962?", k=43, mode=mode)
            assert gone.id not in {p.id for p in result.passages}
            assert not only_there & {(f.subject, f.relation, f.object) for f in result.facts}
        with pytest.raises(InputError, match="no passage with id"):
            index.delete([gone.id])


def test_update_replaces_the_old_version(demo_copy, demo_passages):
    old = next(p for p in demo_passages if p.title == "Greywick Press")
    new = Passage.make(old.title, old.text.replace("Tamsin Arlow", "Ilse Moravec"))
    with Index.open(demo_copy) as index:
        index.update(old.id, new)
        ids = {p.id for p in index.data.passages}
        assert new.id in ids and old.id not in ids and len(ids) == len(demo_passages)
        top = index.retrieve("Who founded Greywick Press?", k=1).passages[0]
        assert "Ilse Moravec" in top.text


def test_second_writer_is_refused_and_readers_see_the_last_commit(demo_copy, demo_passages):
    reader = Index.open(demo_copy)
    try:
        with IndexWriter(demo_copy):
            with pytest.raises(IndexLockedError, match=r"index is locked by this process \(another Index object or thread is writing\)"):
                Index.open(demo_copy).delete([demo_passages[0].id])
            # A reader opening while the writer works sees the committed version.
            with Index.open(demo_copy) as during:
                assert during.stats()["passages"] == 43
        writer = Index.open(demo_copy)
        writer.delete([demo_passages[0].id])
        writer.close()
        assert reader.stats()["passages"] == 43  # still on its version, and it still answers
        assert len(reader.retrieve("Who founded Greywick Press?", k=3).passages) == 3
        with Index.open(demo_copy) as after:
            assert after.stats()["passages"] == 42
    finally:
        reader.close()


def test_damaged_pointer_is_named(demo_copy):
    (demo_copy / "CURRENT").write_text("../../etc")
    with pytest.raises(IndexFormatError, match="CURRENT: damaged"):
        Index.open(demo_copy)


def test_qdrant_server_path_through_the_index(tmp_path, demo_passages):
    """The qdrant-client path end to end, on qdrant-client's local mode (the server's API)."""
    from hipporag_like import PipelineConfig

    config = PipelineConfig().with_overrides("vectors", kind="qdrant", url=f"local:{tmp_path / 'qdrant'}")
    index = Index.build(demo_passages[:40], tmp_path / "idx", config)
    try:
        prefix = index.manifest["vectors"]["prefix"]
        assert index.store.count("passages") == 40
        assert "Greywick Press" in {p.title for p in index.retrieve("Who founded Greywick Press?", k=3).passages}
        gone = demo_passages[0]
        index.apply(add=demo_passages[40:], remove=[gone.id])
        assert index.manifest["vectors"]["prefix"] == prefix  # the same index's collections, one set per segment
        assert index.store.count("passages") == 43  # the deleted row keeps its point until compaction...
        assert gone.id not in {p.id for p in index.retrieve(gone.text, k=5, mode="dense").passages}  # ...but is never a result
        index.compact()
        assert index.store.count("passages") == 42 and index.manifest["counts"]["segments"] == 1
        assert gone.id not in {p.id for p in index.retrieve(gone.text, k=5, mode="dense").passages}
        assert index.verify()["ok"]
    finally:
        index.close()


def test_rebuild_after_a_server_index_retires_its_collections_on_that_server(tmp_path, demo_passages):
    """Issue 13 bug 1: rebuilding a Qdrant-server index with the embedded store used to crash
    after committing and leak (or drop the wrong server's) collections."""
    from qdrant_client import QdrantClient

    from hipporag_like import PipelineConfig

    server = tmp_path / "qdrant"
    on_server = PipelineConfig().with_overrides("vectors", kind="qdrant", url=f"local:{server}")
    Index.build(demo_passages[:20], tmp_path / "idx", on_server).close()
    rebuilt = Index.build(demo_passages[:20], tmp_path / "idx")  # embedded store now
    try:
        assert rebuilt.manifest["vectors"]["kind"] == "edge"
        assert len(rebuilt.retrieve("Who founded Greywick Press?", k=3).passages) == 3
        rebuilt.insert(demo_passages[20:22])  # the server-backed version is now two commits old
    finally:
        rebuilt.close()
    client = QdrantClient(path=str(server))
    try:
        assert client.get_collections().collections == []  # dropped on the server that held them
    finally:
        client.close()


def test_a_delete_never_loads_the_extractor(tmp_path):
    """Deleting extracts nothing, so it keeps the base's extractor fingerprint without reading
    the extractor's inputs: here the OpenIE file the index was built from is gone."""
    import json

    from hipporag_like import PipelineConfig

    docs = [("Port Ambrel", "Port Ambrel is a harbour town founded by Mara Quell.", [["Port Ambrel", "founded by", "Mara Quell"]]),
            ("Mara Quell", "Mara Quell was a salt trader born in Kestavia.", [["Mara Quell", "born in", "Kestavia"]])]
    openie = tmp_path / "openie.json"
    openie.write_text(json.dumps({"docs": [{"passage": f"{t}\n{x}", "extracted_entities": [], "extracted_triples": tr} for t, x, tr in docs]}))
    config = PipelineConfig().with_overrides("extractor", kind="openie", openie_file=str(openie))
    passages = [Passage.make(title, text) for title, text, _ in docs]
    with Index.build(passages, tmp_path / "idx", config) as index:
        built_with = index.manifest["extractor"]["fingerprint"]
        openie.unlink()
        summary = index.delete([passages[0].id])
        assert summary.removed == [passages[0].id]
        assert index.manifest["extractor"]["fingerprint"] == built_with
        assert [p.id for p in index.retrieve("Who was born in Kestavia?", k=5).passages] == [passages[1].id]
        with pytest.raises(InputError, match="no such OpenIE file"):
            index.insert([passages[0]])  # adding still needs it, and says so
