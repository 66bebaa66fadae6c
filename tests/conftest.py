"""Shared fixtures. Every test runs against a private cache folder (hermetic home)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
SHOWCASE = "Who founded the publishing house that released The Salt Ledger?"


@pytest.fixture(scope="session", autouse=True)
def hermetic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    os.environ["HIPPORAG_LIKE_CACHE"] = str(cache)
    os.environ["HF_HUB_OFFLINE"] = "1"
    return cache


@pytest.fixture(scope="session")
def demo_passages():
    from hipporag_like import read_corpus

    return read_corpus([DEMO / "corpus.json"]).passages


@pytest.fixture(scope="session")
def demo_questions() -> list[dict]:
    return json.loads((DEMO / "questions.json").read_text())


@pytest.fixture(scope="session")
def demo_index_path(tmp_path_factory: pytest.TempPathFactory, demo_passages) -> Path:
    """The demo corpus indexed once per test session with the embedded defaults."""
    from hipporag_like import Index

    path = tmp_path_factory.mktemp("indexes") / "demo"
    Index.build(demo_passages, path).close()
    return path


@pytest.fixture(scope="session")
def demo_index(demo_index_path):
    from hipporag_like import Index

    with Index.open(demo_index_path) as index:
        yield index
