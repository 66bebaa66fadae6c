"""A LlamaIndex retriever over hipporag-like (the `[llamaindex]` extra: llama-index-core).

    from hipporag_like import Index
    from hipporag_like.integrations.llamaindex import HippoRetriever
    retriever = HippoRetriever(index=Index.open("indexes/demo"), k=5)   # or url="http://127.0.0.1:8000"
    nodes = retriever.retrieve("Who founded the publishing house that released The Salt Ledger?")
    nodes[0].score, nodes[0].node.metadata["why"]["facts"]
"""

from __future__ import annotations

from typing import Any

try:
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from ..errors import MissingExtraError

    raise MissingExtraError("llama-index-core", "llamaindex") from exc

from ._common import fetch_passages, passage_metadata

_NOT_FOR_MODELS = ["why", "score", "id", "span", "source"]  # kept out of the text LLMs and embedders see


class HippoRetriever(BaseRetriever):
    """NodeWithScore per passage: a TextNode whose id_ is the passage's content hash, text the
    passage text, metadata id, title, score and `why`; the node's score is the retrieval score."""

    def __init__(self, *, index: Any = None, url: str | None = None, k: int = 5, mode: str | None = None,
                 api_key: str | None = None, timeout: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._index, self._url, self._k, self._mode, self._api_key, self._timeout = index, url, k, mode, api_key, timeout

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = fetch_passages(query_bundle.query_str, index=self._index, url=self._url, k=self._k, mode=self._mode,
                                  api_key=self._api_key, timeout=self._timeout)
        return [NodeWithScore(node=TextNode(id_=p["id"], text=p["text"], metadata=passage_metadata(p),
                                            excluded_embed_metadata_keys=list(_NOT_FOR_MODELS),
                                            excluded_llm_metadata_keys=list(_NOT_FOR_MODELS)),
                              score=float(p["score"])) for p in passages]


__all__ = ["HippoRetriever"]
