"""The library's front doors, misused as an application might: each mistake is an InputError
(or HippoError) naming the argument, and no write of a bad passage reaches the index. Found
by an outside audit of the API (2026-11-30)."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from hipporag_like import HippoError, Index, InputError, Passage, RetrievalConfig, read_corpus
from hipporag_like.config import ReaderConfig

from conftest import DEMO, SHOWCASE

NEW = Passage.make("Zed Mill", "Zed Mill is a flour mill on the Ostrel River, founded by Tamsin Arlow in 1970.")


@pytest.fixture()
def index_dir(demo_index_path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(demo_index_path, copy)
    return copy


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "writer.lock"}


@pytest.mark.parametrize("retrieval, message", [
    (RetrievalConfig(damping=1.0), r"\[retrieval\] damping: 1.0 is outside \(0, 1\)"),  # once: a walk that never ended
    (RetrievalConfig(fact_top_k=-3), r"\[retrieval\] fact_top_k: must be positive"),
    (RetrievalConfig(ppr="bogus"), r"\[retrieval\] ppr: 'bogus' is not one of"),
    ({}, "retrieval must be a RetrievalConfig, got dict"),
])
def test_open_checks_the_tables_it_is_given(demo_index_path: Path, retrieval: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Index.open(demo_index_path, retrieval=retrieval)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"\[reader\] k: must be positive"):
        Index.open(demo_index_path, reader=ReaderConfig(k=0))


@pytest.mark.parametrize("passage, message", [
    (Passage("zz", NEW.title, NEW.text), "id 'zz' is not the content hash of its title and text"),
    (replace(NEW, text="something else entirely"), "is not the content hash"),  # once: dropped as 'already present'
    (replace(NEW, source=5), 'field "source" must be a string, got int'),  # once: broke every later sync
    (replace(NEW, span=("a", "b")), 'field "span" must be \\(start, end\\) whole numbers'),  # once: broke Index.data
    (Passage.make("Empty", " \u200b "), 'field "text" is empty'),
    ("Zed Mill is a flour mill.", "passages must be a list, got str"),
    ([{"title": "T", "text": "x"}], r"passages\[0\] must be a Passage"),
])
def test_a_bad_passage_is_refused_before_anything_is_written(index_dir: Path, passage: object, message: str) -> None:
    before = files_of(index_dir)
    with Index.open(index_dir) as index:
        with pytest.raises(InputError, match=message):
            index.insert(passage if isinstance(passage, (str, list)) else [passage])  # type: ignore[arg-type]
    assert files_of(index_dir) == before


def test_questions_k_and_mode(demo_index: Index) -> None:
    for question, message in ((None, "must be a string, got null"), (123, "must be a string, got int"),
                              (b"who", "must be a string, got bytes"), ("who \ud800", "not valid Unicode"), ("\u200b", "is empty")):
        with pytest.raises(InputError, match=message):
            demo_index.retrieve(question)  # type: ignore[arg-type]
    for k in ("5", None, 2.5, True):
        with pytest.raises(InputError, match="k must be a whole number"):
            demo_index.retrieve(SHOWCASE, k=k)  # type: ignore[arg-type]
    with pytest.raises(HippoError, match="unknown retrieval mode ''"):
        demo_index.retrieve(SHOWCASE, mode="")
    with pytest.raises(InputError, match="steps must be a whole number"):
        demo_index.answer(SHOWCASE, steps=2.5)  # type: ignore[arg-type]


def test_one_path_or_one_id_is_a_list_of_one(index_dir: Path, tmp_path: Path) -> None:
    """A string once was walked letter by letter: read_corpus("/srv/docs") read "/" whole."""
    corpus = str(DEMO / "corpus.json")
    assert len(read_corpus(corpus).passages) == len(json.loads(Path(corpus).read_text()))
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mill.md").write_text("# Zed Mill\n\nZed Mill is a flour mill on the Ostrel River.", encoding="utf-8")
    with Index.open(index_dir) as index:
        added = index.sync(str(notes)).added
        assert len(added) == 1
        assert index.delete(added[0]).removed == added


def test_an_empty_generator_builds_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the corpus holds no passages"):
        Index.build((p for p in []), tmp_path / "index")
    assert not (tmp_path / "index").exists()


def test_a_closed_index_says_so(demo_index_path: Path) -> None:
    index = Index.open(demo_index_path)
    index.close()
    with pytest.raises(HippoError, match="this Index was closed"):
        index.retrieve(SHOWCASE)


def test_queries_through_one_index_while_it_writes(index_dir: Path) -> None:
    """Readers share an Index with a writer thread: they wait for its swap instead of reading a
    closed store (this once reported a healthy index as damaged)."""
    errors: list[BaseException] = []
    done = threading.Event()
    with Index.open(index_dir) as index:
        def read() -> None:
            while not done.is_set():
                try:
                    index.retrieve(SHOWCASE, k=3)
                except BaseException as exc:  # noqa: BLE001 - every failure is the finding
                    errors.append(exc)
                    return

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        try:
            index.insert([NEW])
            index.delete([NEW.id])
            index.insert([NEW])
        finally:
            done.set()
            for thread in readers:
                thread.join()
        assert errors == []
        assert index.has_passage(NEW.id)
