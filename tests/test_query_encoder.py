"""The ONNX Runtime question path: same vectors as torch, exported once, atomically, and optional."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from hipporag_like import embedding
from hipporag_like.embedding import MINILM, QueryEncoder, SentenceTransformerEmbedder, onnx_max_length, onnx_model_path

LONG = " ".join(f"clause {i} of a very long question about the harbour towns of Kestavia," for i in range(60))
QUESTIONS = [
    "Who founded the publishing house that released The Salt Ledger?",
    "When was Port Ambrel founded?",
    "Who?",
    "a",
    "?",
    "",
    " ",
    "\n\t ",
    "...",
    "What is the capital of the country where the Ostrel River rises?",
    "In which year did the author of The Ash Ledger win her first prize, and who presented it?",
    "Naïve café owners in Zürich: how many are there?",
    "東京タワーはいつ建てられましたか？",
    "Кто написал «Войну и мир»?",
    "ما هي عاصمة المغرب؟",
    "Who is 🚀 Elon's rocket company's CEO? 🤔",
    "WHAT IS THE POPULATION OF VELMORA IN 1990?",
    "what is the population of velmora in 1990",
    "Which f(x) = x² + 1 has roots in ℂ?",
    "SELECT name FROM authors WHERE born < 1950;",
    "The 1994 nonfiction book by Orrin Hale — who released it?",
    "Ünïcödé àccents éverywhere ñ ç ø å",
    "one two three four five six seven eight nine ten eleven twelve",
    "Is the Amberline Sea saltier than the Kestavian coast's waters?",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "Who was born in 1949 and studied zoology at the University of Merrowgate?",
    "\u200b\u200b",  # zero-width spaces only
    "tab\tseparated\tquestion\twords",
    LONG,
    LONG + " and what came after the 256th token?",
]


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def encoder(embedder: SentenceTransformerEmbedder, onnx_cache: Path) -> QueryEncoder:
    model_dir = Path(embedding.bundled_minilm_path())
    before = QueryEncoder.exports
    made = QueryEncoder(model_dir, embedder.fingerprint, 256, embedder._model, cache_dir=onnx_cache)
    assert QueryEncoder.exports == before + 1  # a fresh cache: exported once
    return made


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.shape == b.shape and a.dtype == np.float32 and b.dtype == np.float32
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_bundled_model_is_eligible_with_its_own_max_length():
    assert onnx_max_length(Path(embedding.bundled_minilm_path())) == 256


def test_other_poolings_stay_on_torch(tmp_path: Path):
    import shutil

    model_dir = tmp_path / "cls-model"
    shutil.copytree(embedding.bundled_minilm_path(), model_dir, ignore=shutil.ignore_patterns("*.safetensors"))
    pooling = model_dir / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text().replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true'))
    assert onnx_max_length(model_dir) is None
    assert onnx_max_length(tmp_path / "missing") is None


def test_onnx_matches_torch_one_question_at_a_time(embedder, encoder):
    torch_rows = np.concatenate([embedder.torch_embed([q]) for q in QUESTIONS])
    onnx_rows = np.concatenate([encoder.encode([q]) for q in QUESTIONS])
    cosines = _cosines(torch_rows, onnx_rows)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"question {worst} {QUESTIONS[worst][:40]!r}: cosine {cosines[worst]}"
    assert np.allclose(np.linalg.norm(onnx_rows, axis=1), 1.0, atol=1e-5)


def test_onnx_matches_torch_as_a_padded_batch(embedder, encoder):
    cosines = _cosines(embedder.torch_embed(QUESTIONS), encoder.encode(QUESTIONS))
    assert cosines.min() >= 0.9999
    # padding must not leak into the mean: a question alone and inside the batch agree
    alone = encoder.encode([QUESTIONS[0]])[0]
    assert float(alone @ encoder.encode(QUESTIONS)[0]) >= 0.9999


def _untruncated_length(text: str) -> int:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(embedding.bundled_minilm_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    return len(tokenizer.encode(text).ids)


def test_the_fast_tokenizer_gives_transformers_ids(encoder):
    """Questions are tokenized by `tokenizers` alone (no transformers, hence no torch, at query
    time): the features must be those transformers' tokenizer gives, alone and padded."""
    from transformers import AutoTokenizer

    assert isinstance(encoder.tokenizer, embedding.FastTokenizer)
    reference = AutoTokenizer.from_pretrained(embedding.bundled_minilm_path())

    def expected(texts: list[str]) -> dict[str, np.ndarray]:
        return dict(reference(texts, padding=True, truncation=True, max_length=256, return_tensors="np"))

    for texts in [QUESTIONS, *([q] for q in QUESTIONS)]:
        want, got = expected(texts), encoder._features(texts)
        assert set(got) == set(want)
        for name in want:
            assert np.array_equal(got[name], want[name].astype(np.int64)), (texts[0][:30], name)


def test_long_questions_are_truncated_at_the_models_length(encoder):
    assert _untruncated_length(LONG) > 256
    assert encoder._features([LONG])["input_ids"].shape == (1, 256)
    # what lies past the limit is not seen: both long questions share their first 256 tokens
    first, second = encoder.encode([LONG, LONG + " and what came after the 256th token?"])
    assert float(first @ second) >= 0.99999


def test_export_is_cached_and_atomic(embedder, encoder, onnx_cache: Path):
    path = encoder.path
    assert path == onnx_model_path(Path(embedding.bundled_minilm_path()), embedder.fingerprint, onnx_cache)
    assert path.parent.parent == onnx_cache / "onnx" and path.name == "model.onnx"
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no temporary file left behind
    stamp = path.stat().st_mtime_ns
    before = QueryEncoder.exports

    def no_torch_model():
        raise AssertionError("a cached export must not load the torch model")

    model_dir = Path(embedding.bundled_minilm_path())
    again = QueryEncoder(model_dir, embedder.fingerprint, 256, no_torch_model, cache_dir=onnx_cache)
    assert QueryEncoder.exports == before
    assert path.stat().st_mtime_ns == stamp
    assert np.array_equal(again.encode(QUESTIONS[:3]), encoder.encode(QUESTIONS[:3]))


@pytest.mark.parametrize("writer", ["bert", "torch"])
def test_a_failed_export_leaves_nothing_behind(embedder, tmp_path: Path, monkeypatch, writer: str):
    """Either writer (the BERT recipe, or torch's exporter for other architectures) crashing
    half-way leaves no file, and a torn file in place is exported over, not trusted."""
    from hipporag_like import bert_onnx

    def broken(*args, **kwargs):
        path = args[1] if writer == "bert" else args[2]
        Path(path).write_bytes(b"half an onnx file")
        raise RuntimeError("exporter crashed")

    if writer == "bert":
        monkeypatch.setattr(bert_onnx, "write_model", broken)
    else:
        import torch

        monkeypatch.setattr(bert_onnx, "bert_config", lambda model_dir: None)
        monkeypatch.setattr(torch.onnx, "export", broken)
    model_dir = Path(embedding.bundled_minilm_path())
    with pytest.raises(RuntimeError, match="exporter crashed"):
        QueryEncoder(model_dir, embedder.fingerprint, 256, embedder._model, cache_dir=tmp_path)
    target = onnx_model_path(model_dir, embedder.fingerprint, tmp_path)
    assert list(target.parent.iterdir()) == []

    # a torn file left by a crash is not trusted: the encoder exports again over it
    target.write_bytes(b"torn")
    with pytest.raises(RuntimeError, match="exporter crashed"):
        QueryEncoder(model_dir, embedder.fingerprint, 256, embedder._model, cache_dir=tmp_path)
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"] and target.read_bytes() == b"torn"


def test_other_architectures_export_through_torch(embedder, tmp_path: Path, monkeypatch):
    """A folder the BERT recipe does not cover goes through torch's exporter, checked the same way."""
    from hipporag_like import bert_onnx

    monkeypatch.setattr(bert_onnx, "bert_config", lambda model_dir: None)
    model_dir = Path(embedding.bundled_minilm_path())
    made = QueryEncoder(model_dir, embedder.fingerprint, 256, embedder._model, cache_dir=tmp_path)
    assert _cosines(made.encode(QUESTIONS[:6]), embedder.torch_embed(QUESTIONS[:6])).min() >= 0.9999


def test_the_cache_key_follows_the_model_files(embedder, tmp_path: Path):
    import os
    import shutil

    model_dir = tmp_path / "model"
    shutil.copytree(embedding.bundled_minilm_path(), model_dir, ignore=shutil.ignore_patterns("*.safetensors"))
    first = onnx_model_path(model_dir, embedder.fingerprint, tmp_path)
    assert onnx_model_path(model_dir, embedder.fingerprint, tmp_path) == first
    config = model_dir / "config.json"
    os.utime(config, ns=(config.stat().st_atime_ns, config.stat().st_mtime_ns + 1_000_000_000))
    assert onnx_model_path(model_dir, embedder.fingerprint, tmp_path) != first


def test_embed_routes_questions_to_onnx_and_batches_to_torch(embedder, encoder, monkeypatch):
    monkeypatch.setitem(embedding._QUERY_ENCODERS, MINILM, encoder)
    assert embedder.fingerprint == "sentence-transformers:all-MiniLM-L6-v2"  # indexes built before still open
    question = QUESTIONS[0]
    assert np.array_equal(embedder.embed([question]), encoder.encode([question]))
    many = (QUESTIONS * 2)[: embedder.onnx_max_texts + 1]
    monkeypatch.setenv("HIPPORAG_LIKE_PRECISION", "fp32")  # batches then stay on torch fp32 exactly
    assert np.array_equal(embedder.embed(many), embedder.torch_embed(many))
    off = SentenceTransformerEmbedder(onnx_max_texts=0)
    assert off.fingerprint == embedder.fingerprint
    assert np.array_equal(off.embed([question]), embedder.torch_embed([question]))


def test_without_onnxruntime_queries_fall_back_to_torch_with_one_warning(embedder, monkeypatch, capsys):
    monkeypatch.setattr(embedding, "_QUERY_ENCODERS", {})
    monkeypatch.setattr(embedding, "_WARNED", [])
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    capsys.readouterr()
    first = embedder.embed([QUESTIONS[0]])
    second = embedder.embed([QUESTIONS[1]])
    assert np.array_equal(first, embedder.torch_embed([QUESTIONS[0]]))
    assert np.array_equal(second, embedder.torch_embed([QUESTIONS[1]]))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: fast question encoding unavailable") and "onnxruntime" in lines[0]
    assert embedding._QUERY_ENCODERS == {MINILM: None}


def test_a_failing_onnx_run_falls_back_to_torch(embedder, monkeypatch, capsys):
    class Broken:
        def encode(self, texts):
            raise RuntimeError("onnxruntime fell over")

    monkeypatch.setattr(embedding, "_QUERY_ENCODERS", {MINILM: Broken()})
    monkeypatch.setattr(embedding, "_WARNED", [])
    capsys.readouterr()
    assert np.array_equal(embedder.embed([QUESTIONS[0]]), embedder.torch_embed([QUESTIONS[0]]))
    assert np.array_equal(embedder.embed([QUESTIONS[1]]), embedder.torch_embed([QUESTIONS[1]]))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "fell over" in lines[0]
    assert embedding._QUERY_ENCODERS[MINILM] is None  # disabled for the rest of the process


def test_many_short_texts_go_through_onnx_in_order_and_match_torch():
    """Index batches of phrases and facts take the ONNX path in length-sorted chunks; the
    vectors come back in the caller's order and match torch's."""
    from hipporag_like.embedding import SHORT_TEXT_CHUNK, SentenceTransformerEmbedder

    texts = [f"phrase number {i} " + "x" * (i % 17) for i in range(SHORT_TEXT_CHUNK * 2 + 5)]
    embedder = SentenceTransformerEmbedder()
    fast = embedder.embed(texts)
    reference = embedder.torch_embed(texts)
    assert fast.shape == reference.shape
    assert float(np.min(np.sum(fast * reference, axis=1))) >= 0.9999
