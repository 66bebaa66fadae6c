"""Corpus readers: turn the file formats users have into `Passage` records.

Formats: a JSON list of {title, text} (HippoRAG corpus), JSON Lines, CSV with a `text`
column, .txt/.md/.pdf/.html files and folders of them, and the HotpotQA dict {title: [sentences]}.
A passage's id is a hash of its content (title and text), so the same text always gets the same id.

Documents longer than the embedder's window are cut into chunks while reading (`[chunking]`,
see chunking.py); a file that fits stays one passage, and so does a record (a passage its author
already cut) up to `max_record_tokens`. Passages keep their
provenance: `source` (the file), `doc_id` (a hash of the whole document), `span` (where the
chunk sits in the document's text: `document_text[start:end] == passage.text`), `position`
(chunk number) and `metadata` (a record's `metadata` object; path and modification time for
files, and the pages for a PDF). Files always carry it; records only when they were cut or
carry metadata, so a corpus of paragraphs (the benchmarks) reads exactly as before.
A document longer than MAX_DOCUMENT_CHARS (MAX_PASSAGE_CHARS with chunking off) is refused like
any other bad record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .errors import InputError
from .text import has_visible, unicode_problem

if TYPE_CHECKING:
    from .chunking import Counter
    from .config import ChunkingConfig

TEXT_SUFFIXES = (".txt", ".md")
DOCUMENT_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".html", ".htm")  # what a folder is read for
# A passage is a retrieval unit (a paragraph or a short article), embedded and extracted whole:
# the embedder truncates long input and extraction cost grows with it, so a book-sized record
# is a mistake to report, not a passage to index.
MAX_PASSAGE_CHARS = 200_000
# With chunking on, a document is cut into passages instead; past this it is still refused
# (the whole text is held and tokenized in memory).
MAX_DOCUMENT_CHARS = 20_000_000


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of text. `content` is what gets embedded and extracted.

    The provenance fields are optional: empty for a passage given as is. `metadata` (a
    JSON-able dict) takes no part in equality or hashing; the id is the content hash alone.
    """

    id: str
    title: str
    text: str
    source: str = ""  # the file (or the corpus file of the record) it came from
    doc_id: str = ""  # content hash of the whole document it was cut from
    span: tuple[int, int] | None = None  # document_text[start:end] == text
    position: int = 0  # chunk number within the document
    metadata: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def content(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text

    @classmethod
    def make(cls, title: str, text: str, **provenance: Any) -> "Passage":
        return cls(id=passage_id(title, text), title=title, text=text, **provenance)

    def provenance(self) -> dict[str, Any]:
        """The provenance fields that are set, JSON-able (as stored with the passage)."""
        if not (self.source or self.doc_id or self.span is not None or self.metadata is not None):
            return {}
        found: dict[str, Any] = {"source": self.source, "doc_id": self.doc_id,
                                 "span": list(self.span) if self.span is not None else None,
                                 "position": self.position, "metadata": self.metadata}
        return {k: v for k, v in found.items() if v not in ("", None)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Passage":
        """A passage from its stored row ({"id", "title", "text"} plus any provenance keys)."""
        span = row.get("span")
        return cls(row["id"], row["title"], row["text"], source=row.get("source", ""), doc_id=row.get("doc_id", ""),
                   span=(int(span[0]), int(span[1])) if span is not None else None,
                   position=int(row.get("position", 0)), metadata=row.get("metadata"))


def source_key(path: str | Path) -> str:
    """How a file is named in provenance: its absolute path (symbolic links kept), so that
    `delete --source` and `insert --replace-source` find it from any working directory."""
    return os.path.abspath(path)


PASSAGE_ID = re.compile(r"[0-9a-f]{16}")  # what passage_id gives


def is_passage_id(value: str) -> bool:
    return PASSAGE_ID.fullmatch(value) is not None


def passage_id(title: str, text: str) -> str:
    """Stable 64-bit content hash, hex encoded (also used as the vector point id)."""
    content = f"{title}\n{text}" if title else text
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


@dataclass
class ReadReport:
    """What a reader produced, and what it skipped when asked to skip bad records."""

    passages: list[Passage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # read on: a PDF without text, a repeated chunk


class _Collector:
    """Validates records one at a time; raises or counts, as the user asked; cuts documents."""

    def __init__(self, skip_bad: bool, chunking: ChunkingConfig) -> None:
        self.skip_bad = skip_bad
        self.chunking = chunking
        self.report = ReadReport()
        self._seen: dict[str, str] = {}

    def bad(self, where: str, why: str) -> None:
        message = f"{where}: {why}"
        if not self.skip_bad:
            raise InputError(message)
        self.report.skipped.append(message)

    def add(self, where: str, title: Any, text: Any, *, source: str = "", metadata: Any = None, document: bool = False,
            pages: Any = None) -> None:
        """One record or file. `document`: a file, cut past max_tokens, whose passages always
        carry provenance; a record is cut only past max_record_tokens and gets provenance only
        when cut or when it has `metadata`. `pages`: a `PdfText`."""
        if title is None:
            title = ""
        if not isinstance(title, str):
            return self.bad(where, f'field "title" must be a string, got {json_type(title)}')
        if not isinstance(text, str):
            return self.bad(where, f'field "text" must be a string, got {json_type(text)}')
        if metadata is not None and not isinstance(metadata, dict):
            return self.bad(where, f'field "metadata" must be an object, got {json_type(metadata)}')
        for name, value in (("title", title), ("text", text)):
            problem = unicode_problem(value)
            if problem:
                return self.bad(where, f'field "{name}" {problem}')
        title, body = title.strip(), text.strip()
        if not has_visible(body):
            return self.bad(where, 'field "text" is empty' + (" (only invisible characters)" if body else ""))
        if not self.chunking.enabled and len(body) > MAX_PASSAGE_CHARS:
            return self.bad(where, f"text is {len(body):,} characters, over the {MAX_PASSAGE_CHARS:,} limit; split it into passages first")
        if len(body) > MAX_DOCUMENT_CHARS:
            return self.bad(where, f"text is {len(body):,} characters, over the {MAX_DOCUMENT_CHARS:,} limit for one document")
        chunk_title, spans = self._cut(title, text, body, self.chunking.max_tokens if document else self.chunking.record_tokens)
        if len(spans) == 1 and not document and metadata is None:
            return self._keep(where, Passage.make(title, body), whole=True)
        doc_id = passage_id(title, body)
        for position, (start, end) in enumerate(spans):
            extra = {"pages": pages.pages_of(start, end)} if pages is not None else {}
            passage = Passage.make(chunk_title if len(spans) > 1 else title, text[start:end], source=source, doc_id=doc_id,
                                   span=(start, end), position=position,
                                   metadata={**(metadata or {}), **extra} if (metadata is not None or extra) else None)
            self._keep(f"{where} (chunk {position})" if len(spans) > 1 else where, passage, whole=len(spans) == 1)

    def _keep(self, where: str, passage: Passage, whole: bool) -> None:
        if passage.id in self._seen:
            if whole:
                return self.bad(where, f"duplicate of {self._seen[passage.id]} (same title and text)")
            # a boilerplate paragraph repeated inside documents: the same passage, indexed once
            self.report.warnings.append(f"{where}: repeats {self._seen[passage.id]} (same title and text); kept once")
            return
        self._seen[passage.id] = where
        self.report.passages.append(passage)

    def _cut(self, title: str, text: str, body: str, whole_up_to: int) -> tuple[str, list[tuple[int, int]]]:
        """The chunks' title and spans in `text`: one span (the stripped text) when it takes at
        most `whole_up_to` tokens, else chunks of at most max_tokens."""
        whole = len(text) - len(text.lstrip())
        whole_span = [(whole, whole + len(body))]
        config = self.chunking
        if not config.enabled or _surely_fits(title, body, whole_up_to):
            return title, whole_span
        from .chunking import CHARS_PER_TOKEN_CAP, chunk_spans, content, fit_title

        count = minilm_token_counter()
        if len(body) <= whole_up_to * CHARS_PER_TOKEN_CAP and count([content(title, body)])[0] <= whole_up_to:
            return title, whole_span
        title = fit_title(title, config.max_tokens, count)
        return title, chunk_spans(text, title, config.max_tokens, config.overlap, count)


def _surely_fits(title: str, body: str, max_tokens: int) -> bool:
    """Without a tokenizer: WordPiece never makes more tokens than the text has characters after
    NFD decomposition, so such a short passage fits with [CLS] and [SEP] whatever it says."""
    length = len(title) + 1 + len(body) + 2
    if length > max_tokens:
        return False
    return len(unicodedata.normalize("NFD", f"{title}\n{body}")) + 2 <= max_tokens


_COUNTERS: list[Counter] = []


def minilm_token_counter() -> Counter:
    """Token counts as the bundled all-MiniLM-L6-v2 sees them ([CLS] and [SEP] included, no
    truncation), from its own tokenizer; loaded once per process, on first need."""
    if not _COUNTERS:
        from tokenizers import Tokenizer

        from .embedding import bundled_minilm_path

        backend = Tokenizer.from_file(str(Path(bundled_minilm_path()) / "tokenizer.json"))  # no transformers, no torch
        backend.no_truncation()  # the shipped tokenizer.json truncates at 128: we want the true length
        backend.no_padding()
        _COUNTERS.append(lambda texts: [len(e.ids) for e in backend.encode_batch(list(texts))])
    return _COUNTERS[0]


def read_corpus(paths: Iterable[str | Path], skip_bad: bool = False, chunking: ChunkingConfig | None = None, *,
                allow_empty: bool = False) -> ReadReport:
    """Read every path (file or folder) into one list of passages, in order.

    `chunking` says how long documents are cut (None: the defaults, on, 256 MiniLM tokens;
    `ChunkingConfig(enabled=False)` keeps every record whole). `allow_empty`: a folder with no
    documents, or a corpus with no passages, is an empty report rather than an error.
    """
    from .arguments import paths as path_list
    from .config import ChunkingConfig

    paths = path_list(paths)  # one path, or a list: a string is never walked letter by letter
    collector = _Collector(skip_bad, chunking if chunking is not None else ChunkingConfig())
    any_path = False
    for raw in paths:
        any_path = True
        path = Path(raw)
        if path.is_dir():
            _read_folder(path, collector, allow_empty)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix == ".json":
                _read_json(path, collector)
            elif suffix == ".jsonl":
                _read_jsonl(path, collector)
            elif suffix == ".csv":
                _read_csv(path, collector)
            elif suffix in DOCUMENT_SUFFIXES:
                _read_document(path, collector)
            else:
                raise InputError(f"{path}: unknown corpus format '{suffix}' (use .json, .jsonl, .csv, .txt, .md, .pdf, .html or a folder)")
        else:
            raise InputError(f"{path}: no such file or folder")
    if not any_path and not allow_empty:
        raise InputError("no corpus given")
    if not collector.report.passages and not allow_empty:
        why = f" ({collector.report.warnings[0]})" if collector.report.warnings else ""
        raise InputError(f"{', '.join(str(p) for p in paths)}: the corpus holds no passages{why}")
    return collector.report


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 (byte {exc.start})") from None


_JSON_TYPES = {type(None): "null", dict: "object", bool: "boolean"}


def json_type(value: Any) -> str:
    """A value's type as the file's author sees it: "null" and "object", not NoneType and dict."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def json_problem(exc: ValueError) -> str:
    """Why json.loads refused a text, in one line that keeps the column. Besides JSONDecodeError,
    a plain ValueError comes from an integer past Python's digit limit (it has no position)."""
    if isinstance(exc, json.JSONDecodeError):
        # messages such as "Invalid control character at" expect the position to follow
        at = f" column {exc.colno}" if exc.msg.endswith(" at") else f" (column {exc.colno})"
        return f"invalid JSON: {exc.msg}{at}"
    if "digits" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits()} digits, too long to read"
    return f"invalid JSON: {' '.join(str(exc).split())}"


def load_json(path: Path) -> Any:
    """A whole JSON file, or an InputError naming the file (and the line, where JSON knows it)."""
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: {json_problem(exc)}") from None
    except ValueError as exc:
        raise InputError(f"{path}: {json_problem(exc)}") from None
    except RecursionError:
        raise InputError(f"{path}: invalid JSON: nested too deeply") from None


def _read_json(path: Path, collector: _Collector) -> None:
    data = load_json(path)
    if isinstance(data, list):
        for i, record in enumerate(data):
            where = f"{path}: record {i}"
            if isinstance(record, str):
                collector.add(where, "", record, source=source_key(path))
            elif isinstance(record, dict):
                if "text" not in record:
                    collector.bad(where, 'missing field "text"')
                    continue
                collector.add(where, record.get("title"), record["text"], source=source_key(path), metadata=record.get("metadata"))
            else:
                collector.bad(where, f"expected an object with title and text, got {json_type(record)}")
    elif isinstance(data, dict):
        # HotpotQA / 2Wiki corpus: {title: [sentence, ...]}
        for title, sentences in data.items():
            where = f'{path}: title "{title}"'
            if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
                collector.bad(where, "expected a list of sentence strings")
                continue
            collector.add(where, title, "".join(sentences), source=source_key(path))
    else:
        raise InputError(f"{path}: expected a JSON list of {{title, text}} or a {{title: [sentences]}} object")


def _read_jsonl(path: Path, collector: _Collector) -> None:
    for number, line in enumerate(io.StringIO(_read_text(path)), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line.rstrip("\r\n"))  # an error at the end names this line, not the next
        except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
            collector.bad(where, json_problem(exc))
            continue
        except RecursionError:
            collector.bad(where, "invalid JSON: nested too deeply")
            continue
        if not isinstance(record, dict):
            collector.bad(where, f"expected an object with title and text, got {json_type(record)}")
        elif "text" not in record:
            collector.bad(where, 'missing field "text"')
        else:
            collector.add(where, record.get("title"), record["text"], source=source_key(path), metadata=record.get("metadata"))


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
        _check_header(path, reader.fieldnames)
        start = reader.line_num + 1
        for row in reader:
            where = f"{path}:{start}"
            start = reader.line_num + 1
            if None in row:  # more fields than the header names
                collector.bad(where, f"{len(reader.fieldnames) + len(row[None])} fields, the header names {len(reader.fieldnames)}")
                continue
            collector.add(where, row.get("title"), row.get("text") or "", source=source_key(path))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError(f"{path}:{start}: malformed CSV: a quote opened in this record is never closed") from None
        raise InputError(f"{path}:{start}: malformed CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)


def _check_header(path: Path, names: Sequence[str]) -> None:
    """A repeated title or text column would silently lose all but its last value in each row."""
    for name in ("title", "text"):
        count = names.count(name)
        if count > 1:
            times = "twice" if count == 2 else f"{count} times"
            raise InputError(f'{path}:1: column "{name}" appears {times} in the header')


def _read_folder(path: Path, collector: _Collector, allow_empty: bool = False) -> None:
    """Every document under `path`. Other files are skipped with one warning (hidden ones
    silently): a .json, .jsonl or .csv corpus is read only when named directly."""
    found = sorted(p for p in path.rglob("*") if p.is_file())
    files = [p for p in found if p.suffix.lower() in DOCUMENT_SUFFIXES]
    others = [p for p in found if p.suffix.lower() not in DOCUMENT_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(path).parts)]
    hint = "name a .json, .jsonl or .csv corpus directly"
    if not files and not allow_empty:
        also = f"; {hint}, e.g. {others[0]}" if others else ""
        raise InputError(f"{path}: folder holds no .txt or .md files (nor .pdf or .html){also}")
    if others:
        collector.report.warnings.append(
            f"{path}: skipped {len(others)} file(s) that are not .txt, .md, .pdf or .html, e.g. {others[0].name} ({hint})"
        )
    for file in files:
        _read_document(file, collector)


def _read_document(path: Path, collector: _Collector) -> None:
    """One file, one document: its title is the first Markdown heading, the HTML <title> or the
    PDF's title, else the file name; metadata holds its path and modification time."""
    from .documents import markdown_title, read_html, read_pdf

    where, source, suffix = str(path), source_key(path), path.suffix.lower()
    metadata = {"path": source, "mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))}
    if suffix == ".pdf":
        try:
            pdf = read_pdf(path)
        except InputError as exc:
            return collector.bad(where, str(exc).removeprefix(f"{where}: "))
        if not pdf.text:
            collector.report.warnings.append(f"{where}: no text layer in its {pdf.pages} pages (a scanned PDF?); skipped")
            return
        return collector.add(where, pdf.title or path.stem, pdf.text, source=source, metadata=metadata, document=True, pages=pdf)
    if suffix in (".html", ".htm"):
        title, text = read_html(path.read_bytes(), path)
        if not text:
            collector.report.warnings.append(f"{where}: no text in the page; skipped")
            return
        return collector.add(where, title or path.stem, text, source=source, metadata=metadata, document=True)
    text = _read_text(path)
    title = (markdown_title(text) if suffix == ".md" else None) or path.stem
    collector.add(where, title, text, source=source, metadata=metadata, document=True)
