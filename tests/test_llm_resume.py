"""A real extraction process killed with SIGKILL mid-run resumes without repeating LLM calls.

The child process runs the LLM extractor against the fake model server living in this test.
The server holds every request past the 16th, so at the moment of the kill exactly 16 answers
have arrived (all entity answers and 4 triple answers) and two requests are in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fake_llm_server import FakeLLMServer, fixture_passage
from hipporag_like.cache import KeyValueCache
from hipporag_like.extraction.llm_extractor import LLMExtractor
from hipporag_like.llm.openai_backend import OpenAIBackend
from hipporag_like.progress import QUIET

CHILD = textwrap.dedent(
    """
    import json, sys
    from hipporag_like.cache import KeyValueCache
    from hipporag_like.corpus import Passage
    from hipporag_like.extraction.llm_extractor import LLMExtractor
    from hipporag_like.llm.openai_backend import OpenAIBackend
    from hipporag_like.progress import QUIET

    base_url, cache_dir, passages_file = sys.argv[1:4]
    passages = [Passage(**p) for p in json.loads(open(passages_file).read())]
    backend = OpenAIBackend("fake-model", base_url=base_url, concurrency=2, timeout_s=60, max_retries=0)
    LLMExtractor(backend, KeyValueCache(cache_dir)).extract(passages, QUIET)
    print("finished")
    """
)

PASSAGES = 12
ANSWERED_BEFORE_KILL = 16


def _wait_for(condition, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_killed_run_resumes_without_repeating_calls(tmp_path: Path) -> None:
    passages = [fixture_passage("good", i) for i in range(PASSAGES)]
    passages_file = tmp_path / "passages.json"
    passages_file.write_text(json.dumps([{"id": p.id, "title": p.title, "text": p.text} for p in passages]))
    cache_dir = tmp_path / "cache"
    cache = KeyValueCache(cache_dir)  # the parent's own connection, to watch the child's writes

    def answered() -> set[str]:
        return set(cache.keys_with_prefix("llm-answer\x1f"))

    with FakeLLMServer(hold_after=ANSWERED_BEFORE_KILL) as server:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.base_url, str(cache_dir), str(passages_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for(lambda: len(answered()) >= ANSWERED_BEFORE_KILL and server.calls >= ANSWERED_BEFORE_KILL + 2, 30, "16 cached answers")
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=10) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
            child.communicate()
        cached_before = answered()
        assert len(cached_before) == ANSWERED_BEFORE_KILL
        assert server.calls == ANSWERED_BEFORE_KILL + 2  # two were in flight, never answered

        server.release()
        server.hold_after = None
        server.reset_counts()
        backend = OpenAIBackend("fake-model", base_url=server.base_url, concurrency=4, max_retries=0)
        extractor = LLMExtractor(backend, cache)
        results = extractor.extract(passages, QUIET)

    assert all(r.error is None and r.triples for r in results)
    assert server.calls == 2 * PASSAGES - ANSWERED_BEFORE_KILL  # only the calls never answered
    assert extractor.stats.cache_hits == ANSWERED_BEFORE_KILL
    asked_again = {(r.step, p.id) for r in server.received for p in passages if p.content in r.user}
    cached_pairs = {(k.split("\x1f")[-2], k.split("\x1f")[-1]) for k in cached_before}
    assert len(asked_again) == 2 * PASSAGES - ANSWERED_BEFORE_KILL
    assert not asked_again & cached_pairs
