"""Retrievers for RAG frameworks: `langchain.HippoRetriever` (the `[langchain]` extra) and
`llamaindex.HippoRetriever` (the `[llamaindex]` extra), over an open Index or a server URL."""
