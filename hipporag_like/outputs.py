"""Files written for people and other tools (reports, drawings, JSON Lines of answers or
failures): each is written beside its destination and renamed into place, so a killed run
leaves the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable


def write_text_replacing(path: str | Path, text: str) -> None:
    """`path` replaced atomically by `text` (UTF-8)."""
    path = Path(path)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def write_json_lines(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line, non-ASCII kept as is, replacing `path` atomically."""
    write_text_replacing(path, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
