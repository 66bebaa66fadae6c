"""bf16 index batches: used only on native bf16 CPUs, only when faithful to fp32, and switchable off."""

from __future__ import annotations

import numpy as np
import pytest

from hipporag_like import bf16
from hipporag_like.embedding import SentenceTransformerEmbedder

TEXTS = [f"passage {i}: the harbour town of Kestavia traded salt " + "and ledgers " * (i % 23) for i in range(70)]


def _cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\n", encoding="ascii")
    return path


def test_native_bf16_reads_the_cpu_flags(tmp_path):
    assert bf16.native_bf16(_cpuinfo(tmp_path, "avx2 avx512f avx512_bf16"))
    assert bf16.native_bf16(_cpuinfo(tmp_path, "avx2 amx_bf16 amx_tile"))
    assert not bf16.native_bf16(_cpuinfo(tmp_path, "avx2 avx512f avx512bw"))  # emulated bf16: slower, never used
    assert not bf16.native_bf16(tmp_path / "missing")


def test_faithful_rejects_vectors_that_drift_from_fp32():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(len(bf16.PROBES), 8)).astype(np.float32)
    assert bf16.faithful(lambda texts: base, lambda texts: base * 3.0)  # same directions
    assert not bf16.faithful(lambda texts: base, lambda texts: base + rng.normal(scale=0.2, size=base.shape).astype(np.float32))
    assert not bf16.faithful(lambda texts: base, lambda texts: np.full_like(base, np.nan))
    assert not bf16.faithful(lambda texts: base, lambda texts: base[:, :4])


def test_the_environment_switch_keeps_batches_on_fp32(monkeypatch):
    embedder = SentenceTransformerEmbedder()
    monkeypatch.setenv(bf16.PRECISION_ENV, "fp32")
    assert not bf16.use_bf16(embedder._model(), embedder.torch_embed, embedder.batch_size)
    assert np.array_equal(embedder.embed(TEXTS), embedder.torch_embed(TEXTS))


def test_an_unfaithful_model_stays_on_fp32(monkeypatch):
    monkeypatch.setattr(bf16, "_DECISIONS", {})
    monkeypatch.setattr(bf16, "native_bf16", lambda: True)
    monkeypatch.setattr(bf16, "faithful", lambda fp32, other: False)
    embedder = SentenceTransformerEmbedder()
    monkeypatch.delenv(bf16.PRECISION_ENV, raising=False)
    assert np.array_equal(embedder.embed(TEXTS), embedder.torch_embed(TEXTS))


@pytest.mark.skipif(not bf16.native_bf16(), reason="this CPU has no native bf16: batches stay on fp32")
def test_batches_on_a_native_bf16_cpu_match_fp32_in_order(monkeypatch):
    monkeypatch.delenv(bf16.PRECISION_ENV, raising=False)
    embedder = SentenceTransformerEmbedder()
    assert bf16.use_bf16(embedder._model(), embedder.torch_embed, embedder.batch_size)
    fast, reference = embedder.embed(TEXTS), embedder.torch_embed(TEXTS)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    assert not np.array_equal(fast, reference)  # really the bf16 path
    assert float(np.min(np.sum(fast * reference, axis=1))) >= bf16.MIN_COSINE
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
