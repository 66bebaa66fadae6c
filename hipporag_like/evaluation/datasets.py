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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..corpus import Passage, json_type, load_json, passage_id, read_corpus
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
        _check_file(path)
    passages = read_corpus([corpus_path]).passages
    known = {p.id for p in passages}
    records = load_json(questions_path)  # errors name the line and column, as for a corpus
    if not isinstance(records, list):
        raise InputError(f"{questions_path}: expected a list of questions")
    if not records:
        raise InputError(f"{questions_path}: holds no questions")
    questions = [_question(record, i, questions_path, known) for i, record in enumerate(records)]
    return Dataset(folder.name, questions, passages, corpus_path)


def _check_file(path: Path) -> None:
    """Say what is there instead of a file: "missing" misleads when it is a folder."""
    if path.is_file():
        return
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if path.exists():
        raise InputError(f"{path}: is not a regular file")
    raise InputError(f"{path}: missing from the dataset folder")


def _question(record: Any, position: int, path: Path, known: set[str]) -> Question:
    where = f"{path}: question {position}"
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected an object")
    qid = str(record.get("id", record.get("_id", position)))
    where = f"{path}: question {qid}"
    text = record.get("question")
    if text is not None and not isinstance(text, str):
        raise InputError(f'{where}: field "question" must be a string, got {json_type(text)}')
    if not text or not text.strip():
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
        raise InputError(f'{where}: field "paragraphs" must be a list, got {json_type(paragraphs)}')
    gold = []
    for i, p in enumerate(paragraphs):
        if not isinstance(p, dict):
            raise InputError(f"{where}: paragraph {i} is not an object")
        supporting = p.get("is_supporting", False)
        if not isinstance(supporting, bool):  # "false" or 0 would be read as supporting, or not, silently
            raise InputError(f'{where}: paragraph {i}: field "is_supporting" must be true or false, got {json_type(supporting)}')
        if supporting:
            gold.append(_paragraph_passage(p, f"{where}: paragraph {i}"))
    return gold


def _paragraph_passage(p: dict[str, Any], where: str) -> tuple[str, str]:
    """A supporting paragraph's (title, text); MuSiQue says "paragraph_text", HippoRAG "text"."""
    name = "paragraph_text" if "paragraph_text" in p else "text"
    if name not in p:
        raise InputError(f'{where}: missing field "paragraph_text" (or "text")')
    title, body = p.get("title"), p[name]
    if title is None:  # as in a corpus: no title
        title = ""
    if not isinstance(title, str):
        raise InputError(f'{where}: field "title" must be a string, got {json_type(title)}')
    if not isinstance(body, str):
        raise InputError(f'{where}: field "{name}" must be a string, got {json_type(body)}')
    return title, body


def _gold_from_supporting_facts(facts: Any, context: Any, where: str) -> list[tuple[str, str]]:
    sentences = _context_passages(context, where)
    if not isinstance(facts, list):
        raise InputError(f'{where}: field "supporting_facts" must be a list of [title, sentence index], got {json_type(facts)}')
    titles = list(dict.fromkeys(_fact_title(fact, f'{where}: "supporting_facts" entry {i}') for i, fact in enumerate(facts)))
    missing = [t for t in titles if t not in sentences]
    if missing:
        raise InputError(f'{where}: supporting title "{missing[0]}" is not in its "context"')
    return [(t, sentences[t]) for t in titles]


def _context_passages(context: Any, where: str) -> dict[str, str]:
    """{title: its sentences joined} from HotpotQA's [[title, [sentences]]]."""
    if not isinstance(context, list):
        raise InputError(f'{where}: field "context" must be a list of [title, [sentences]], got {json_type(context)}')
    found = {}
    for i, entry in enumerate(context):
        at = f'{where}: "context" entry {i}'
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], list):
            got = f"[{json_type(entry[0])}, {json_type(entry[1])}]" if isinstance(entry, list) and len(entry) == 2 else json_type(entry)
            raise InputError(f"{at} must be [title, [sentences]], got {got}")
        title, parts = entry
        if not isinstance(title, str):
            raise InputError(f"{at}: title must be a string, got {json_type(title)}")
        bad = [s for s in parts if not isinstance(s, str)]
        if bad:
            raise InputError(f"{at}: sentences must be strings, got {json_type(bad[0])}")
        found[title] = "".join(parts)
    return found


def _fact_title(fact: Any, where: str) -> str:
    """The title of one [title, sentence index]; the index is not needed (the whole passage is gold)."""
    if not isinstance(fact, list) or len(fact) != 2:
        raise InputError(f"{where} must be [title, sentence index]")
    if not isinstance(fact[0], str):
        raise InputError(f"{where}: title must be a string, got {json_type(fact[0])}")
    return fact[0]
