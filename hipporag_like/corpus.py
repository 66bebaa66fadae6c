"""Corpus readers: turn the file formats users have into `Passage` records.

Formats: a JSON list of {title, text} (HippoRAG corpus), JSON Lines, CSV with a `text`
column, a folder of .txt/.md files, and the HotpotQA dict {title: [sentences]}.
A passage's id is a hash of its content, so the same text always gets the same id.
A record whose text is longer than MAX_PASSAGE_CHARS is refused like any other bad record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
# A passage is a retrieval unit (a paragraph or a short article), embedded and extracted whole:
# the embedder truncates long input and extraction cost grows with it, so a book-sized record
# is a mistake to report, not a passage to index.
MAX_PASSAGE_CHARS = 200_000


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of text. `content` is what gets embedded and extracted."""

    id: str
    title: str
    text: str

    @property
    def content(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text

    @classmethod
    def make(cls, title: str, text: str) -> "Passage":
        return cls(id=passage_id(title, text), title=title, text=text)


def passage_id(title: str, text: str) -> str:
    """Stable 64-bit content hash, hex encoded (also used as the vector point id)."""
    content = f"{title}\n{text}" if title else text
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


@dataclass
class ReadReport:
    """What a reader produced, and what it skipped when asked to skip bad records."""

    passages: list[Passage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class _Collector:
    """Validates records one at a time; raises or counts, as the user asked."""

    def __init__(self, skip_bad: bool) -> None:
        self.skip_bad = skip_bad
        self.report = ReadReport()
        self._seen: dict[str, str] = {}

    def bad(self, where: str, why: str) -> None:
        message = f"{where}: {why}"
        if not self.skip_bad:
            raise InputError(message)
        self.report.skipped.append(message)

    def add(self, where: str, title: Any, text: Any) -> None:
        if title is None:
            title = ""
        if not isinstance(title, str):
            return self.bad(where, f'field "title" must be a string, got {type(title).__name__}')
        if not isinstance(text, str):
            return self.bad(where, f'field "text" must be a string, got {type(text).__name__}')
        for name, value in (("title", title), ("text", text)):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate, e.g. a JSON "\ud800" escape
                return self.bad(where, f'field "{name}" is not valid Unicode (unpaired surrogate at character {exc.start})')
        title, text = title.strip(), text.strip()
        if not text:
            return self.bad(where, 'field "text" is empty')
        if len(text) > MAX_PASSAGE_CHARS:
            return self.bad(where, f"text is {len(text):,} characters, over the {MAX_PASSAGE_CHARS:,} limit; split it into passages first")
        passage = Passage.make(title, text)
        if passage.id in self._seen:
            return self.bad(where, f"duplicate of {self._seen[passage.id]} (same title and text)")
        self._seen[passage.id] = where
        self.report.passages.append(passage)


def read_corpus(paths: Iterable[str | Path], skip_bad: bool = False) -> ReadReport:
    """Read every path (file or folder) into one list of passages, in order."""
    collector = _Collector(skip_bad)
    any_path = False
    for raw in paths:
        any_path = True
        path = Path(raw)
        if path.is_dir():
            _read_folder(path, collector)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix == ".json":
                _read_json(path, collector)
            elif suffix == ".jsonl":
                _read_jsonl(path, collector)
            elif suffix == ".csv":
                _read_csv(path, collector)
            elif suffix in TEXT_SUFFIXES:
                collector.add(str(path), path.stem, _read_text(path))
            else:
                raise InputError(f"{path}: unknown corpus format '{suffix}' (use .json, .jsonl, .csv, .txt, .md or a folder)")
        else:
            raise InputError(f"{path}: no such file or folder")
    if not any_path:
        raise InputError("no corpus given")
    if not collector.report.passages:
        raise InputError(f"{', '.join(str(p) for p in paths)}: the corpus holds no passages")
    return collector.report


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 (byte {exc.start})") from None


def _load_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{path}: invalid JSON: nested too deeply") from None


def _read_json(path: Path, collector: _Collector) -> None:
    data = _load_json(path)
    if isinstance(data, list):
        for i, record in enumerate(data):
            where = f"{path}: record {i}"
            if isinstance(record, str):
                collector.add(where, "", record)
            elif isinstance(record, dict):
                if "text" not in record:
                    collector.bad(where, 'missing field "text"')
                    continue
                collector.add(where, record.get("title"), record["text"])
            else:
                collector.bad(where, f"expected an object with title and text, got {type(record).__name__}")
    elif isinstance(data, dict):
        # HotpotQA / 2Wiki corpus: {title: [sentence, ...]}
        for title, sentences in data.items():
            where = f'{path}: title "{title}"'
            if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
                collector.bad(where, "expected a list of sentence strings")
                continue
            collector.add(where, title, "".join(sentences))
    else:
        raise InputError(f"{path}: expected a JSON list of {{title, text}} or a {{title: [sentences]}} object")


def _read_jsonl(path: Path, collector: _Collector) -> None:
    for number, line in enumerate(io.StringIO(_read_text(path)), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            collector.bad(where, f"invalid JSON: {exc.msg}")
            continue
        except RecursionError:
            collector.bad(where, "invalid JSON: nested too deeply")
            continue
        if not isinstance(record, dict):
            collector.bad(where, f"expected an object with title and text, got {type(record).__name__}")
        elif "text" not in record:
            collector.bad(where, 'missing field "text"')
        else:
            collector.add(where, record.get("title"), record["text"])


def _read_csv(path: Path, collector: _Collector) -> None:
    text = _read_text(path)
    # strict: a quote left open is an error, not a field that swallows the rows after it
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    # The csv module refuses fields over 128 KiB (a process-wide setting); lift it while reading
    # so a huge passage gets the same size message as in every other format.
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    start = 1  # the line the record being read starts on
    try:
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise InputError(f'{path}:1: CSV needs a "text" column (found: {", ".join(reader.fieldnames or []) or "none"})')
        start = reader.line_num + 1
        for row in reader:
            where = f"{path}:{start}"
            start = reader.line_num + 1
            if None in row:  # more fields than the header names
                collector.bad(where, f"{len(reader.fieldnames) + len(row[None])} fields, the header names {len(reader.fieldnames)}")
                continue
            collector.add(where, row.get("title"), row.get("text") or "")
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError(f"{path}:{start}: malformed CSV: a quote opened in this record is never closed") from None
        raise InputError(f"{path}:{start}: malformed CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)


def _read_folder(path: Path, collector: _Collector) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise InputError(f"{path}: folder holds no .txt or .md files")
    for file in files:
        collector.add(str(file), file.stem, _read_text(file))
