"""Run every question of a dataset through every retrieval mode and measure Recall@k and latency;
with QA options, also the reader's answer EM and F1 per mode (qa.py)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from ..config import PipelineConfig
from ..errors import HippoError, InputError
from ..extraction.factory import make_extractor
from ..changes import corpus_hash
from ..index import Index
from ..progress import QUIET, Progress
from ..retrieval import MODES
from ..store import read_manifest
from .datasets import Dataset, load_dataset
from .failures import failure_record, write_failures
from .metrics import RECALL_KS, latency_summary, mean_recall
from .qa import QAOptions, answer_questions, write_answers


@dataclass
class ModeResult:
    mode: str
    recall: dict[str, float]
    latency_ms: dict[str, float]
    qa: dict[str, Any] | None = None  # with --qa: {"em", "f1", "recall_at_k", "k", "steps", ...}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.qa is None:
            del data["qa"]
        return data


@dataclass
class EvalReport:
    dataset: str
    questions: int
    passages: int
    extractor: str
    embedder: str
    results: list[ModeResult]
    index_seconds: float | None
    eval_seconds: float

    def to_json(self) -> dict[str, Any]:
        """Exactly the documented `eval --json` shape."""
        return {
            "dataset": self.dataset,
            "questions": self.questions,
            "passages": self.passages,
            "extractor": self.extractor,
            "embedder": self.embedder,
            "results": [r.to_json() for r in self.results],
        }


def ordered_modes(requested: Sequence[str] | None, default: str) -> list[str]:
    """The default mode first, then the rest in the canonical order."""
    modes = list(dict.fromkeys(requested or MODES))
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise HippoError(f"unknown retrieval mode '{unknown[0]}' (use one of: {', '.join(MODES)})")
    return sorted(modes, key=lambda m: (m != default, MODES.index(m)))


def index_matches(path: Path, dataset: Dataset, config: PipelineConfig, replace_other_corpus: bool = False) -> bool:
    """An existing index is reused when it holds this corpus built with these stages, and
    rebuilt when only the stages differ. One that holds another corpus is somebody's index,
    not this benchmark's: it is replaced only when asked (`replace_other_corpus`)."""
    try:
        manifest = read_manifest(path)
    except HippoError:
        return False
    if manifest.get("corpus_hash") != corpus_hash([p.id for p in dataset.passages]):
        if not replace_other_corpus:
            raise InputError(f"{path}: holds another corpus than {dataset.name}'s; choose another --index, "
                             "or pass --rebuild to replace it")
        return False
    built = manifest["config"]
    wanted = config.to_dict()
    if not all(built.get(stage) == wanted[stage] for stage in ("extractor", "embedder", "graph", "vectors")):
        return False
    # The same settings under other extraction code (a new rules version) must not be reused.
    return config.extractor.kind not in ("spacy", "openie") or manifest["extractor"].get("fingerprint") == make_extractor(config.extractor).fingerprint


def evaluate(
    dataset_dir: str | Path,
    config: PipelineConfig,
    index_dir: str | Path,
    modes: Sequence[str] | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: Progress = QUIET,
    qa: QAOptions | None = None,
    failures_path: str | Path | None = None,
    replace_other_corpus: bool = False,
) -> EvalReport:
    dataset = load_dataset(dataset_dir)
    if qa is not None:
        qa.check(dataset.questions)  # before any index is built
    index_dir = Path(index_dir)
    index_seconds = None
    if not index_matches(index_dir, dataset, config, replace_other_corpus):
        started = time.monotonic()
        Index.build(dataset.passages, index_dir, config, cache_dir=cache_dir, progress=progress).close()
        index_seconds = round(time.monotonic() - started, 2)
    started = time.monotonic()
    results, answers, failures = [], [], []
    titles = {p.id: p.title for p in dataset.passages}
    with Index.open(index_dir, retrieval=config.retrieval, reader=config.reader) as index:
        index.retrieve(dataset.questions[0].text, k=1, mode="dense")  # load models before timing
        for mode in ordered_modes(modes, config.retrieval.mode):
            rankings, latencies = [], []
            with progress.bar(f"eval {mode}", total=len(dataset.questions)) as bar:
                for question in dataset.questions:
                    t0 = time.perf_counter()
                    result = index.retrieve(question.text, k=max(RECALL_KS), mode=mode)
                    latencies.append(time.perf_counter() - t0)
                    rankings.append([p.id for p in result.passages])
                    failures.append(failure_record(question, result, titles))
                    bar.update()
            recall = mean_recall(rankings, [q.gold_ids for q in dataset.questions])
            results.append(ModeResult(mode, {str(k): round(v, 2) for k, v in recall.items()}, latency_summary(latencies)))
        if qa is not None:
            answers = _answer_all(index, dataset, results, qa, cache_dir, progress)
        manifest = index.manifest
    if qa is not None and qa.answers_path is not None:
        write_answers(qa.answers_path, answers)
    if failures_path is not None:
        write_failures(failures_path, [f for f in failures if f is not None])
    return EvalReport(
        dataset=dataset.name,
        questions=len(dataset.questions),
        passages=len(dataset.passages),
        extractor=manifest["extractor"]["fingerprint"],
        embedder=manifest["embedder"]["fingerprint"],
        results=results,
        index_seconds=index_seconds,
        eval_seconds=round(time.monotonic() - started, 2),
    )


def _answer_all(index: Index, dataset: Dataset, results: list[ModeResult], qa: QAOptions,
                cache_dir: str | Path | None, progress: Progress) -> list[dict[str, Any]]:
    """The reader over every question for every mode evaluated (its answers cached); each
    mode's EM/F1 summary goes into its result. Returns every question's record."""
    from ..cache import KeyValueCache, default_cache_dir

    llm = qa.backend()
    cache = KeyValueCache(cache_dir or default_cache_dir())
    records: list[dict[str, Any]] = []
    try:
        for result in results:
            result.qa, answered = answer_questions(index, dataset.questions, result.mode, qa, llm, cache, progress)
            records.extend(answered)
    finally:
        cache.close()
    return records
