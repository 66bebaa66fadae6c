"""LLM extraction: prompts, tolerant output parsing, and chat backends (OpenAI-compatible, vLLM).

Nothing here imports a backend's package at import time: `openai` is imported when an
OpenAI-compatible backend is built, `vllm` only inside the in-process backend's constructor.
"""
