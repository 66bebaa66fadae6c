"""The LangChain and LlamaIndex retrievers, with the real framework packages, over an open
Index and over a live server on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from conftest import SHOWCASE
from hipporag_like.errors import HippoError


@pytest.fixture(scope="module")
def server_url(demo_index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("uvicorn")
    from hipporag_like.server import create_app
    from live_server import live_server

    index_dir = tmp_path_factory.mktemp("served") / "demo"
    shutil.copytree(demo_index_path, index_dir)
    with live_server(create_app(index_dir, api_key="tok")) as url:
        yield url


def _check_why(meta: dict) -> None:
    assert set(meta["why"]) == {"seed_phrases", "facts", "dense_score", "named_by"}
    assert meta["why"]["seed_phrases"] and "phrase" in meta["why"]["seed_phrases"][0]


def test_langchain_retriever_over_an_index(demo_index) -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from hipporag_like.integrations.langchain import HippoRetriever

    retriever = HippoRetriever(index=demo_index, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(SHOWCASE)
    expected = demo_index.retrieve(SHOWCASE, k=3).passages
    assert all(isinstance(d, Document) for d in docs) and len(docs) == 3
    assert [d.id for d in docs] == [p.id for p in expected] == [d.metadata["id"] for d in docs]
    assert [d.page_content for d in docs] == [p.text for p in expected]
    assert docs[0].metadata["title"] == "The Salt Ledger"
    assert docs[0].metadata["score"] == pytest.approx(expected[0].score)
    _check_why(docs[0].metadata)
    dense = HippoRetriever(index=demo_index, k=2, mode="dense").invoke(SHOWCASE)
    assert len(dense) == 2


def test_langchain_retriever_over_a_server(server_url: str, demo_index) -> None:
    pytest.importorskip("langchain_core")
    from hipporag_like.integrations.langchain import HippoRetriever

    docs = HippoRetriever(url=server_url, api_key="tok", k=3).invoke(SHOWCASE)
    assert [d.id for d in docs] == [p.id for p in demo_index.retrieve(SHOWCASE, k=3).passages]
    _check_why(docs[0].metadata)
    with pytest.raises(HippoError, match="unauthorized"):
        HippoRetriever(url=server_url, k=3).invoke(SHOWCASE)
    with pytest.raises(HippoError, match="either"):
        HippoRetriever(k=3).invoke(SHOWCASE)


def test_llamaindex_retriever_over_an_index_and_a_server(demo_index, server_url: str) -> None:
    pytest.importorskip("llama_index.core", reason="llama-index-core is not installed (pip install '.[llamaindex]')")
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import MetadataMode, NodeWithScore

    from hipporag_like.integrations.llamaindex import HippoRetriever

    retriever = HippoRetriever(index=demo_index, k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(SHOWCASE)
    expected = demo_index.retrieve(SHOWCASE, k=3).passages
    assert all(isinstance(n, NodeWithScore) for n in nodes) and len(nodes) == 3
    assert [n.node.node_id for n in nodes] == [p.id for p in expected]
    assert [n.score for n in nodes] == pytest.approx([p.score for p in expected])
    assert nodes[0].node.metadata["title"] == "The Salt Ledger"
    _check_why(nodes[0].node.metadata)
    assert "seed_phrases" not in nodes[0].node.get_content(metadata_mode=MetadataMode.LLM)
    remote = HippoRetriever(url=server_url, api_key="tok", k=3).retrieve(SHOWCASE)
    assert [n.node.node_id for n in remote] == [p.id for p in expected]
