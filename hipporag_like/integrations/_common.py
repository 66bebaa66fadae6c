"""What both framework retrievers share: the passages of one query, from an open Index or
from a `hipporag-like serve` URL, as `query --json` dicts; and the metadata they carry."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ..errors import HippoError, InputError


def fetch_passages(query: str, *, index: Any = None, url: str | None = None, k: int = 5, mode: str | None = None,
                   api_key: str | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The passages for `query`: `index.retrieve` in process, else POST {url}/query."""
    if (index is None) == (url is None):
        raise InputError("give either an open Index (index=...) or a server URL (url=...), not both")
    if index is not None:
        return index.retrieve(query, k=k, mode=mode).to_dict()["passages"]
    body: dict[str, Any] = {"query": query, "k": k}
    if mode:
        body["mode"] = mode
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url.rstrip("/") + "/query", data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL is the caller's server
            return json.loads(response.read())["passages"]
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]
            message = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {exc.code}"
        raise HippoError(f"{url}: the server refused the query ({message})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise HippoError(f"{url}: cannot reach the server ({getattr(exc, 'reason', exc)})") from None


def passage_metadata(passage: dict[str, Any]) -> dict[str, Any]:
    """id, title, score and why (seeds, facts, dense score), plus provenance when set."""
    meta = {"id": passage["id"], "title": passage["title"], "score": passage["score"], "why": passage["why"]}
    for key in ("source", "span", "metadata"):
        if passage.get(key) is not None:
            meta[key] = passage[key]
    return meta
