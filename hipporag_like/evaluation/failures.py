"""`eval --failures FILE`: the questions a mode missed, to read case by case.

One JSON object per line, for every (mode, question) with a gold passage outside the top
`cutoff` (10): the gold passages' titles and ranks (null: not in the retrieved list), with the
top passages that named each one's title (the title hop), the top passages' titles, the seeds
and facts the walk started from, and the notes of the LLM query paths when there are any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..outputs import write_json_lines
from ..results import RetrievalResult

CUTOFF = 10


def failure_record(question: Any, result: RetrievalResult, titles: dict[str, str], cutoff: int = CUTOFF) -> dict[str, Any] | None:
    """The record of one question whose gold passages are not all in the top `cutoff`, else None."""
    ranks = {p.id: rank for rank, p in enumerate(result.passages, start=1)}
    named = {p.id: list(p.why.named_by) for p in result.passages if p.why.named_by}
    gold = [{"title": titles.get(g, g), "rank": ranks.get(g), **({"named_by": named[g]} if g in named else {})}
            for g in question.gold_ids]
    if all(g["rank"] is not None and g["rank"] <= cutoff for g in gold):
        return None
    record = {
        "mode": result.mode,
        "question_id": question.id,
        "question": question.text,
        "gold": gold,
        "top": [p.title for p in result.passages[:cutoff]],
        "seeds": [[s.phrase, s.weight] for s in result.seed_phrases],
        "facts": [[f.subject, f.relation, f.object, f.score] for f in result.facts],
    }
    if result.notes:
        record["notes"] = list(result.notes)
    return record


def write_failures(path: str | Path, records: Sequence[dict[str, Any]]) -> None:
    """Write the records as JSON Lines, replacing the file atomically."""
    write_json_lines(path, records)
