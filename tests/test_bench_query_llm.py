"""eval/bench_query_llm.py end to end on the demo index. FakeLLMServer stands in for the model
(it replays the recorded `good` fixture for every question), so this checks that the script
runs every variant and counts calls and cache hits, not what a real model's recall would be."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fake_llm_server import FakeLLMServer

ROOT = Path(__file__).resolve().parent.parent


def load_script():
    spec = importlib.util.spec_from_file_location("bench_query_llm", ROOT / "eval" / "bench_query_llm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own script, from the repository
    return module


def test_every_variant_runs_and_a_second_run_is_all_cache(demo_index_path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIPPORAG_LIKE_CACHE", str(tmp_path))
    bench = load_script()
    with FakeLLMServer() as server:
        first = bench.run(demo_index_path, ROOT / "examples" / "demo", server.base_url, "stand-in", limit=3)
        asked = server.calls
        again = bench.run(demo_index_path, ROOT / "examples" / "demo", server.base_url, "stand-in", limit=3)
        assert server.calls == asked  # every reply came from the cache
    assert len(first) == 2 + len(bench.VARIANTS)
    calls = [int(row.split("|")[-4]) for row in first[2:]]
    hits = [int(row.split("|")[-3]) for row in first[2:]]
    assert calls == [0, 3, 0, 3, 0] and hits[4] == 6  # the last variant reuses both earlier answers
    assert server.calls_for("filter") == 3 and server.calls_for("decompose") == 3  # once per question, shared by variants
    assert all(int(row.split("|")[-4]) == 0 for row in again[2:])
