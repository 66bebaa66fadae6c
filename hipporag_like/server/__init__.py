"""HTTP serving of one index (the `[serve]` extra: FastAPI and uvicorn). See `app.py`."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """`app.create_app`, imported on first use so that `hipporag_like.server` loads without FastAPI."""
    try:
        from .app import create_app as make
    except ModuleNotFoundError as exc:
        if exc.name in ("fastapi", "starlette", "pydantic"):
            from ..errors import MissingExtraError

            raise MissingExtraError(exc.name, "serve") from None
        raise
    return make(*args, **kwargs)


__all__ = ["create_app"]
