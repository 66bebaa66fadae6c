"""Index batches in bfloat16 on CPUs that compute it natively.

Why: encoding passages, phrases and facts is most of a cold build. On a CPU with AVX512-BF16 or
AMX, torch autocast to bfloat16 (weights and activations in bf16, sums kept in fp32 by oneDNN)
encodes musique_100 passages 1.7x faster and short phrases and facts 1.2x faster than the best
fp32 path, with cosine >= 0.99994 to fp32 on every text measured (eval/speed.md). Anywhere else
bf16 would be emulated and slower, so it is never used there.

The choice is made once per model and process, and only after a probe check against fp32; set
HIPPORAG_LIKE_PRECISION=fp32 to keep every batch on fp32. Questions never come here: they take
the ONNX fp32 path in `embedding.py`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

MIN_COSINE = 0.9999
PRECISION_ENV = "HIPPORAG_LIKE_PRECISION"
NATIVE_FLAGS = ("avx512_bf16", "amx_bf16")
PROBES = (
    "Who founded the publishing house that released The Salt Ledger?",
    "Port Ambrel",
    "Orrin Hale wrote The Ash Ledger",
    "The harbour town of Kestavia grew around a salt trade that reached its peak in the 1840s, "
    "when three families controlled the pans, the boats and the ledgers that recorded both.",
    "Naïve café au lait — 東京の天気は？",
)

_DECISIONS: dict[int, bool] = {}
_LOCK = threading.Lock()


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU has bf16 instructions (Linux flags); False wherever that is unknown."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in NATIVE_FLAGS)


def faithful(fp32: Callable[[Sequence[str]], np.ndarray], bf16: Callable[[Sequence[str]], np.ndarray]) -> bool:
    """Whether bf16 gives fp32's vectors on the probes (cosine >= MIN_COSINE on every one)."""
    expected, got = fp32(PROBES), bf16(PROBES)
    if expected.shape != got.shape or not np.all(np.isfinite(got)):
        return False
    cosines = np.sum(expected * got, axis=1) / (np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1))
    return bool(np.min(cosines) >= MIN_COSINE)


def encode_bf16(model: Any, texts: Sequence[str], batch_size: int) -> np.ndarray:
    """sentence-transformers' own encode (length-sorted batches) under bf16 autocast."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        vectors = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def use_bf16(model: Any, fp32: Callable[[Sequence[str]], np.ndarray], batch_size: int) -> bool:
    """Decide once per loaded model: native bf16, not switched off, and faithful on the probes."""
    if os.environ.get(PRECISION_ENV, "").strip().lower() == "fp32":
        return False
    key = id(model)
    if key not in _DECISIONS:
        with _LOCK:
            if key not in _DECISIONS:
                _DECISIONS[key] = native_bf16() and faithful(fp32, lambda texts: encode_bf16(model, texts, batch_size))
    return _DECISIONS[key]
