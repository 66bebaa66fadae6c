"""`eval --qa`: the reader answers every question; answer EM and F1 against every gold alias.

EM and F1 use SQuAD normalisation and take the best score over the gold answer and its aliases
(metrics.py). A refusal or an unreadable reply scores 0 on both. Each question's answer,
citations and scores can be written to a JSON Lines file to read case by case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..cache import KeyValueCache
from ..config import ReaderConfig
from ..errors import HippoError
from ..llm.backend import ChatBackend
from ..outputs import write_json_lines
from ..progress import QUIET, Progress
from ..reader import answer, make_reader_backend, require_reader
from .datasets import Question
from .metrics import exact_match, f1_score, recall_at_k


@dataclass(frozen=True)
class QAOptions:
    reader: ReaderConfig  # model, server and k (passages given to the reader)
    steps: int = 0  # IRCoT reasoning steps per question (0: one retrieval)
    answers_path: Path | None = None  # JSON Lines: one record per question and mode
    llm: ChatBackend | None = None  # a ready backend (tests, library use); else built from `reader`

    def check(self, questions: Sequence[Question]) -> None:
        """Before any work: a reader is configured and there is something to score."""
        if self.llm is None:
            require_reader(self.reader, "eval --qa")
        if not any(q.answers for q in questions):
            raise HippoError("eval --qa: no question of the dataset has a gold answer (field \"answer\")")

    def backend(self) -> ChatBackend:
        return self.llm if self.llm is not None else make_reader_backend(self.reader)


def score(prediction: str | None, gold: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one answer, each 0 or 1 / 0..1; no answer scores (0, 0)."""
    if not prediction or not gold:
        return 0.0, 0.0
    return exact_match(prediction, gold), f1_score(prediction, gold)


def answer_questions(index: Any, questions: Sequence[Question], mode: str, options: QAOptions, llm: ChatBackend,
                     cache: KeyValueCache | None, progress: Progress = QUIET) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary for one mode ({"em", "f1", ...} in percent) and one record per question."""
    k = options.reader.k
    records: list[dict[str, Any]] = []
    scored = [q for q in questions if q.answers]
    label = f"qa {mode}" + (f" ircot {options.steps}" if options.steps else "")
    with progress.bar(label, total=len(scored)) as bar:
        for question in scored:
            result = answer(index, question.text, k, mode, llm=llm, cache=cache, steps=options.steps)
            em, f1 = score(result.answer, question.answers)
            shown = [p.id for p in result.passages.passages]
            records.append({
                "mode": mode, "steps": options.steps, "id": question.id, "question": question.text,
                "gold": list(question.answers), "answer": result.answer, "refused": result.refused,
                "em": em, "f1": round(f1, 4), "error": result.error,
                "citations": [c.to_dict() | {"gold": c.id in question.gold_ids} for c in result.citations],
                "dropped_citations": result.dropped_citations, "passages": shown,
                "reasoning": [s.thought for s in result.steps], "cached": result.reader.cached,
                "recall_at_k": recall_at_k(shown, question.gold_ids, k),
            })
            bar.update()
    summary = {
        "em": _percent(r["em"] for r in records),
        "f1": _percent(r["f1"] for r in records),
        "recall_at_k": _percent(r["recall_at_k"] for r in records),  # of the passages the reader saw
        "k": k,
        "steps": options.steps,
        "questions": len(records),
        "answered": sum(1 for r in records if r["answer"] is not None),
        "refused": sum(1 for r in records if r["refused"]),
        "unreadable": sum(1 for r in records if r["error"]),
        "reader": llm.model,
    }
    return summary, records


def write_answers(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """One JSON object a line, written beside the destination and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_lines(path, records)


def _percent(values: Any) -> float:
    values = list(values)
    return round(100.0 * float(np.mean(values)), 2) if values else 0.0


def qa_options(reader: ReaderConfig, qa: bool, answers_path: Path | None, steps: int,
               base_url: str | None = None, model: str | None = None) -> QAOptions | None:
    """The `eval` flags as options (None without --qa); the flags override the [reader] table."""
    from ..reader import reader_from_flags

    if not qa:
        if answers_path is not None or steps:
            raise HippoError("--answers and --steps apply to answers: add --qa")
        return None
    options = QAOptions(reader_from_flags(reader, base_url, model), steps, answers_path)
    require_reader(options.reader, "eval --qa")
    return options
