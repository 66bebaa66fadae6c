"""A LangChain retriever over hipporag-like (the `[langchain]` extra: langchain-core).

    from hipporag_like import Index
    from hipporag_like.integrations.langchain import HippoRetriever
    retriever = HippoRetriever(index=Index.open("indexes/demo"), k=5)   # or url="http://127.0.0.1:8000"
    docs = retriever.invoke("Who founded the publishing house that released The Salt Ledger?")
    docs[0].metadata["score"], docs[0].metadata["why"]["seed_phrases"]
"""

from __future__ import annotations

from typing import Any

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from ..errors import MissingExtraError

    raise MissingExtraError("langchain-core", "langchain") from exc

from ._common import fetch_passages, passage_metadata


class HippoRetriever(BaseRetriever):
    """Documents for a question: page_content is the passage text, `id` its content hash, and
    metadata holds id, title, score and `why` (seed phrases, facts, dense score)."""

    index: Any = None  # an open hipporag_like.Index
    url: str | None = None  # or a `hipporag-like serve` address
    k: int = 5
    mode: str | None = None
    api_key: str | None = None  # bearer token for a server started with HIPPORAG_LIKE_API_KEY
    timeout: float = 30.0

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = fetch_passages(query, index=self.index, url=self.url, k=self.k, mode=self.mode, api_key=self.api_key,
                                  timeout=self.timeout)
        return [Document(page_content=p["text"], metadata=passage_metadata(p), id=p["id"]) for p in passages]


__all__ = ["HippoRetriever"]
