"""HippoRAG 2's LLM paths at query time, both opt-in and cached like every other LLM answer:

- the recognition-memory fact filter (`[retrieval] fact_filter = "llm"`): the LLM keeps, from
  the question's candidate facts, those that help answer it, and only those seed the walk;
- question decomposition (`[retrieval] decompose = "llm"`, used by `hybrid-2hop`): the LLM
  splits the question into single-fact questions, and the later ones steer the second hop.

An unusable or empty reply never fails a query: the walk falls back to the path without the
LLM and the result says so in its notes.
"""

from .service import QueryLLM, make_query_llm, require_query_llm

__all__ = ["QueryLLM", "make_query_llm", "require_query_llm"]
