"""`hipporag-like serve`: the HTTP API and the explanation page over one index."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import click

from .common import _check_index_path, _check_output, _fail, guarded
from ..config import PPR_METHODS
from ..errors import MissingExtraError


def cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (a name that does not resolve, a port in
    use or reserved), found before the index loads and before "serving ..." is announced."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        return f"--host {host}: {exc.strerror}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            return f"--port {port}: cannot listen on {host}:{port} ({exc.strerror})"
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option("--allow-remote", is_flag=True, help="Bind a non-loopback address without an API key (anyone who "
              "reaches the port can read and change the index).")
@click.option("--pipeline", type=click.Path(path_type=Path), help="Pipeline file whose [reader] names the LLM for "
              "POST /answer (default: the index's own pipeline).")
@click.option("--llm-base-url", help="OpenAI-compatible server for POST /answer. Keys come from the environment.")
@click.option("--llm-model", help="Model name for POST /answer.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of LLM answers (default: user cache dir).")
@click.option("--ppr", type=click.Choice(PPR_METHODS), help="Walk for this server (default: the index's). \"power\" is exact "
              "and lets concurrent queries run in parallel (igraph's PRPACK holds the GIL): eval/serve.md.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes. One process answers about 50 queries/s whatever the core count (the walk "
              "holds the GIL); each worker adds its own, at about 350 MB of memory each (eval/serve-workers.md).")
@guarded
def serve(index_dir: Path, host: str, port: int, allow_remote: bool, pipeline: Path | None, llm_base_url: str | None,
          llm_model: str | None, cache_dir: Path | None, ppr: str | None, workers: int) -> None:
    """Serve the index over HTTP: POST /query, /answer, /passages; DELETE /passages/{id};
    GET /stats, /healthz; the page at / and the OpenAPI docs at /docs.

    Set HIPPORAG_LIKE_API_KEY to require `Authorization: Bearer KEY`. Without a key the server
    binds loopback addresses only, unless --allow-remote is given.

    \b
    Example:
      hipporag-like serve --index indexes/demo --port 8000 --ppr power
      hipporag-like serve --index indexes/demo --workers 4
      curl -s localhost:8000/query -H 'content-type: application/json' \\
          -d '{"query": "Who founded the publishing house that released The Salt Ledger?", "k": 3}'
    """
    from ..reader.backends import NoReaderError, resolve_reader
    from ..server import create_app
    from ..server.app import API_KEY_ENV
    from ..server.workers import FACTORY, SETTINGS_ENV, settings_for_workers

    _check_index_path(index_dir)
    _check_output(cache_dir, "--cache-dir", folder=True, index_dir=index_dir)
    if not is_loopback(host) and not os.environ.get(API_KEY_ENV) and not allow_remote:
        _fail(f"--host {host} is not a loopback address: set {API_KEY_ENV} to require a bearer token, "
              "or pass --allow-remote to serve without one")
    problem = cannot_listen(host, port)
    if problem:
        _fail(problem)
    try:
        reader = resolve_reader(pipeline, index_dir, llm_base_url, llm_model, "serve's POST /answer")
    except NoReaderError:
        reader = None
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise MissingExtraError("uvicorn", "serve") from None

    app = create_app(index_dir, reader=reader, cache_dir=cache_dir, ppr=ppr)  # checks the index before any worker starts
    click.echo(f"serving {index_dir} on http://{host}:{port}  (docs: /docs; answer: "
               f"{'reader ' + reader.model if reader else 'no reader configured'}; "
               f"auth: {'bearer token' if os.environ.get(API_KEY_ENV) else 'none'}"
               f"{f'; {workers} workers' if workers > 1 else ''})", err=True)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    app.state.holder.close()
    os.environ[SETTINGS_ENV] = settings_for_workers(index_dir, reader, cache_dir, ppr)
    uvicorn.run(FACTORY, factory=True, workers=workers, host=host, port=port, log_level="warning")
