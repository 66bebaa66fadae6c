"""Multi-hop QA datasets in the formats users have, with gold passages resolved to corpus ids.

Supported question files (detected per record):
- MuSiQue: `paragraphs` with `title`, `paragraph_text`, `is_supporting`;
- HippoRAG's own: `paragraphs` with `title`, `text`, `is_supporting`;
- HotpotQA and 2WikiMultiHopQA: `supporting_facts` [[title, sentence index]] and `context`
  [[title, [sentences]]]; a gold passage is its title plus its sentences joined.
A dataset folder holds `questions.json` and `corpus.json`. A gold passage that is not in the
corpus is an error that names the question and the passage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..corpus import Passage, passage_id, read_corpus
from ..errors import InputError


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    gold_ids: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    questions: list[Question]
    passages: list[Passage]
    corpus_path: Path


def load_dataset(folder: str | Path) -> Dataset:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such dataset folder (expected questions.json and corpus.json inside)")
    questions_path, corpus_path = folder / "questions.json", folder / "corpus.json"
    for path in (questions_path, corpus_path):
        if not path.is_file():
            raise InputError(f"{path}: missing from the dataset folder")
    passages = read_corpus([corpus_path]).passages
    known = {p.id for p in passages}
    try:
        records = json.loads(questions_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{questions_path}: invalid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{questions_path}: invalid JSON: nested too deeply") from None
    if not isinstance(records, list):
        raise InputError(f"{questions_path}: expected a list of questions")
    if not records:
        raise InputError(f"{questions_path}: holds no questions")
    questions = [_question(record, i, questions_path, known) for i, record in enumerate(records)]
    return Dataset(folder.name, questions, passages, corpus_path)


def _question(record: Any, position: int, path: Path, known: set[str]) -> Question:
    where = f"{path}: question {position}"
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected an object")
    qid = str(record.get("id", record.get("_id", position)))
    where = f"{path}: question {qid}"
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f'{where}: field "question" is missing or empty')
    if "paragraphs" in record:
        gold = _gold_from_paragraphs(record["paragraphs"], where)
    elif "supporting_facts" in record and "context" in record:
        gold = _gold_from_supporting_facts(record["supporting_facts"], record["context"], where)
    else:
        raise InputError(f'{where}: needs "paragraphs" (MuSiQue/HippoRAG) or "supporting_facts" and "context" (HotpotQA/2Wiki)')
    if not gold:
        raise InputError(f"{where}: has no supporting passage")
    ids = []
    for title, body in gold:
        pid = passage_id(title.strip(), body.strip())
        if pid not in known:
            raise InputError(f'{where}: gold passage "{title}" is not in the corpus (matched by title and text)')
        if pid not in ids:
            ids.append(pid)
    return Question(qid, text, _gold_answers(record), tuple(ids))


def _gold_answers(record: dict[str, Any]) -> tuple[str, ...]:
    """The gold answer and its aliases, for EM/F1: MuSiQue `answer` + `answer_aliases`,
    HotpotQA and 2Wiki `answer`, HippoRAG's list under `answer`. Numbers count as text; empty
    and duplicate strings are left out."""
    found: list[str] = []
    for field_name in ("answer", "answer_aliases"):
        value = record.get(field_name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item).strip():
                found.append(str(item).strip())
    return tuple(dict.fromkeys(found))


def _gold_from_paragraphs(paragraphs: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(paragraphs, list):
        raise InputError(f'{where}: field "paragraphs" must be a list')
    gold = []
    for i, p in enumerate(paragraphs):
        if not isinstance(p, dict):
            raise InputError(f"{where}: paragraph {i} is not an object")
        if p.get("is_supporting"):
            body = p.get("paragraph_text", p.get("text"))
            if not isinstance(body, str) or not isinstance(p.get("title", ""), str):
                raise InputError(f'{where}: paragraph {i} needs string "title" and "paragraph_text" (or "text")')
            gold.append((p.get("title", ""), body))
    return gold


def _gold_from_supporting_facts(facts: Any, context: Any, where: str) -> list[tuple[str, str]]:
    try:
        sentences = {title: "".join(parts) for title, parts in context}
        titles = list(dict.fromkeys(title for title, _ in facts))
    except (TypeError, ValueError):
        raise InputError(f'{where}: "supporting_facts" must be [[title, index]] and "context" [[title, [sentences]]]') from None
    missing = [t for t in titles if t not in sentences]
    if missing:
        raise InputError(f'{where}: supporting title "{missing[0]}" is not in its "context"')
    return [(t, sentences[t]) for t in titles]
