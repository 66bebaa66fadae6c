"""`serve --workers N`: N uvicorn worker processes serving one index.

Why: a query holds the GIL for most of its time (igraph's PRPACK walk, Python around it), so one
process answers about 50 queries a second however many cores the machine has. Each worker is
a process with its own `IndexHolder`; they share the memory-mapped index through the page
cache. Nothing else needs to change: a worker already picks up a version committed by another
process on its next request (state.py), and writes from different workers meet at the index's
file lock, where a write waits for the other worker's to finish.

uvicorn starts workers from an import string, so the settings travel in one environment
variable as JSON: paths and names only, never a key (keys stay in the environment they came
from).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SETTINGS_ENV = "HIPPORAG_LIKE_SERVE_SETTINGS"
FACTORY = "hipporag_like.server.workers:worker_app"


def settings_for_workers(index_dir: Path, reader: Any, cache_dir: Path | None, ppr: str | None) -> str:
    """The JSON each worker rebuilds its app from; the reader as its config's plain fields."""
    from dataclasses import asdict

    return json.dumps({
        "index": str(Path(index_dir).resolve()),
        "reader": asdict(reader) if reader is not None else None,
        "cache_dir": str(cache_dir) if cache_dir is not None else None,
        "ppr": ppr,
    })


def worker_app() -> Any:
    """The app of one worker process (uvicorn calls it, factory=True)."""
    from ..config import ReaderConfig
    from . import create_app

    settings = json.loads(os.environ[SETTINGS_ENV])
    reader = ReaderConfig(**settings["reader"]) if settings["reader"] is not None else None
    return create_app(settings["index"], reader=reader, cache_dir=settings["cache_dir"], ppr=settings["ppr"])
