"""Reuse OpenIE output already paid for: HippoRAG's result files, v1 and v2.

v1: {"docs": [{"passage", "extracted_entities", "extracted_triples", ...}]}
v2: {"docs": [{"idx", "passage", "extracted_entities", "extracted_triples"}]}
Entries are matched to corpus passages by text (`title + "\\n" + text`). Malformed triples
(wrong length, empty or non-string parts) are dropped and counted; a corpus passage with no
entry is an error that names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..corpus import Passage, json_problem
from ..errors import InputError
from ..progress import Progress
from ..text import content_hash
from .base import Extraction, Triple


def clean_triples(raw: Any) -> tuple[list[Triple], int]:
    """Keep well-formed [s, r, o] string triples; count the rest."""
    if not isinstance(raw, list):
        return [], 1
    kept: list[Triple] = []
    dropped = 0
    for triple in raw:
        if (
            isinstance(triple, (list, tuple))
            and len(triple) == 3
            and all(isinstance(part, str) and part.strip() for part in triple)
        ):
            kept.append((triple[0].strip(), triple[1].strip(), triple[2].strip()))
        else:
            dropped += 1
    return kept, dropped


@dataclass
class OpenIEFileExtractor:
    path: str
    _entries: dict[str, dict[str, Any]] | None = field(default=None, init=False, repr=False)
    _hash: str = field(default="", init=False, repr=False)

    @property
    def fingerprint(self) -> str:
        self._load()
        return f"openie-file:{self._hash[:16]}"

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is not None:
            return self._entries
        path = Path(self.path)
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not an OpenIE file")
        if not path.is_file():
            raise InputError(f"{path}: no such OpenIE file")
        data = path.read_bytes()
        self._hash = content_hash(data)
        try:
            parsed = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not valid UTF-8") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: {json_problem(exc)}") from None
        except ValueError as exc:  # an integer past Python's digit limit
            raise InputError(f"{path}: {json_problem(exc)}") from None
        except RecursionError:
            raise InputError(f"{path}: invalid JSON: nested too deeply") from None
        docs = parsed.get("docs") if isinstance(parsed, dict) else None
        if not isinstance(docs, list):
            raise InputError(f'{path}: expected an object with a "docs" list (HippoRAG OpenIE results)')
        entries: dict[str, dict[str, Any]] = {}
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict) or not isinstance(doc.get("passage"), str):
                raise InputError(f'{path}: docs[{i}]: needs a string field "passage"')
            entries.setdefault(doc["passage"].strip(), doc)
        self._entries = entries
        return entries

    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        entries = self._load()
        results = []
        for passage in passages:
            doc = entries.get(passage.content.strip())
            if doc is None:
                raise InputError(f'{self.path}: no entry for corpus passage "{passage.title or passage.text[:40]}" (id {passage.id})')
            triples, dropped = clean_triples(doc.get("extracted_triples", []))
            entities = doc.get("extracted_entities", [])
            if not isinstance(entities, list):
                entities, dropped = [], dropped + 1
            kept_entities = tuple(e.strip() for e in entities if isinstance(e, str) and e.strip())
            results.append(Extraction(passage.id, kept_entities, tuple(triples), dropped))
        return results
