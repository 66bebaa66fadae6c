"""The HTTP API over one index: `create_app(index_dir)` gives a FastAPI application.

    POST   /query            {"query", "k", "mode"} -> the `query --json` shape
    POST   /answer           {"query", "k", "mode", "steps"} -> the `ask --json` shape (needs a reader)
    POST   /explain          {"query", "k", "mode", "passage"} -> SVG of why that passage came back
    POST   /passages         {"passages": [{"title", "text"}]}, one transaction
    DELETE /passages/{id}
    GET    /stats, /healthz, / (the page), /docs (OpenAPI)

Every error is JSON {"error": {"code", "message"}} with a 4xx or 5xx status, never a traceback.
With an API key (argument, or HIPPORAG_LIKE_API_KEY) every endpoint but /healthz, / and the
OpenAPI pages wants `Authorization: Bearer KEY`.
"""

from __future__ import annotations

import hmac
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..corpus import is_passage_id
from ..errors import HippoError, IndexFormatError, IndexLockedError, InputError
from ..llm.backend import LLMError
from ..text import has_visible, unicode_problem
from .models import AnswerRequest, ChangeResponse, ErrorResponse, InsertRequest, Limits, QueryRequest, QueryResponse
from .state import IndexHolder

API_KEY_ENV = "HIPPORAG_LIKE_API_KEY"
UNAUTHORIZED = f"missing or wrong bearer token (the server was started with {API_KEY_ENV})"
log = logging.getLogger("hipporag_like.server")


class ApiError(Exception):
    """An error answered as is: HTTP status, a short code, a one-line message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413, whether announced by
    Content-Length or streamed in chunks (counted as it arrives, never held past the limit)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = error_response(413, "body_too_large", f"the request body is over the {self.max_bytes:,}-byte limit")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.max_bytes:
                        return await too_big(scope, receive, send)
                except ValueError:
                    return await error_response(400, "bad_request", "Content-Length is not a number")(scope, receive, send)
        chunks, seen = [], 0  # read whole (bounded by max_bytes), then replayed to the app
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return await too_big(scope, receive, send)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type", 422: "invalid_request"}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _text(value: str, name: str, limit: int, *, required: bool = True) -> str:
    problem = unicode_problem(value)
    if problem:
        raise ApiError(422, "invalid_text", f"{name} {problem}")
    if required and not has_visible(value):
        raise ApiError(422, "invalid_request", f"{name} is empty" + (" (only invisible characters)" if value.strip() else ""))
    if len(value) > limit:
        raise ApiError(422, "too_long", f"{name} is {len(value):,} characters, over the {limit:,} limit")
    return value


def create_app(index_dir: str | Path, *, api_key: str | None = None, limits: Limits = Limits(), reader: Any = None,
               llm: Any = None, cache_dir: str | Path | None = None, ppr: str | None = None) -> FastAPI:
    """The application serving the index at `index_dir` (opened now: a bad index fails here).

    `api_key`: wanted as a bearer token (default: $HIPPORAG_LIKE_API_KEY; "" or unset: no auth).
    `reader` (a ReaderConfig with a model) or `llm` (a ChatBackend) enables POST /answer.
    `ppr` overrides the index's walk (see `[retrieval] ppr`)."""
    from ..reader.backends import NoReaderError  # noqa: F401 - fail early if the reader package is broken

    key = (api_key if api_key is not None else os.environ.get(API_KEY_ENV)) or None
    if key is not None and not key.strip():
        raise InputError(f"{API_KEY_ENV} is set but blank: set a real key, or unset it to serve without one")
    holder = IndexHolder(index_dir, ppr)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(lifespan=lifespan, redoc_url=None, title="hipporag-like", description="Multi-hop retrieval with a knowledge graph: query, answer, insert, delete.",
                  responses={400: {"model": ErrorResponse}, 401: {"model": ErrorResponse}, 409: {"model": ErrorResponse},
                             413: {"model": ErrorResponse}, 415: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
                             500: {"model": ErrorResponse}, 502: {"model": ErrorResponse}})
    app.state.holder = holder
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, headers)

    def before_the_body(request: Request) -> JSONResponse | None:
        """What a request's body is read after: the token (so no parser feedback reaches a client
        without one), then the content type (a JSON body sent as a form is not "invalid fields")."""
        if not token_ok(request):
            return error_response(401, "unauthorized", UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            return error_response(415, "unsupported_media_type",
                                  f"send the body as JSON with Content-Type: application/json (got {media or 'none'})")
        return None

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        refused = before_the_body(request)
        if refused is not None:
            return refused
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(400, "invalid_json", "the request body is not valid JSON")
        return error_response(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and request.method == "POST":  # the body could not be decoded at all
            refused = before_the_body(request)
            return refused or error_response(400, "invalid_json", "the request body is not UTF-8 JSON")
        return error_response(exc.status_code, _STATUS_CODES.get(exc.status_code, "http_error"), str(exc.detail),
                              dict(exc.headers) if exc.headers else None)  # 405 keeps its Allow

    @app.exception_handler(IndexLockedError)
    async def _locked(request: Request, exc: IndexLockedError) -> JSONResponse:
        return error_response(409, "index_locked", str(exc), {"Retry-After": "1"})

    @app.exception_handler(HippoError)
    async def _hippo(request: Request, exc: HippoError) -> JSONResponse:
        if isinstance(exc, IndexFormatError):
            return error_response(503, "index_unavailable", str(exc))
        if type(exc).__name__ == "NoReaderError":
            return error_response(503, "no_reader", str(exc))
        if isinstance(exc, LLMError):  # the request was fine; the reader's server failed or is away
            return error_response(502, "llm_unavailable", str(exc))
        return error_response(422 if isinstance(exc, InputError) else 400, "invalid_input", str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal server error")

    def token_ok(request: Request) -> bool:
        if key is None:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        # Headers arrive as latin-1 text: their raw bytes are compared with the key's UTF-8 bytes.
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode("latin-1", "replace"), key.encode("utf-8"))

    def authorized(request: Request) -> None:
        if not token_ok(request):
            raise ApiError(401, "unauthorized", UNAUTHORIZED)

    def checked(body: QueryRequest) -> QueryRequest:
        _text(body.query, "query", limits.max_question_chars)
        if not 1 <= body.k <= limits.max_k:
            raise ApiError(422, "k_out_of_range", f"k must be between 1 and {limits.max_k}, got {body.k}")
        return body

    auth = [Depends(authorized)]

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        from .page import PAGE

        return HTMLResponse(PAGE)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness: the version this server reads now."""
        return {"status": "ok", "version": holder.committed_name()}

    @app.head("/healthz", include_in_schema=False)
    def healthz_head() -> Response:
        """Liveness for checkers that send HEAD."""
        return Response()

    @app.get("/stats", dependencies=auth)
    def stats() -> dict[str, Any]:
        """Counts and fingerprints of the committed version (as `hipporag-like stats --json`)."""
        with holder.lease() as index:
            return index.stats()

    @app.post("/query", response_model=QueryResponse, dependencies=auth)
    def query(body: QueryRequest) -> JSONResponse:
        """The k passages that best answer the question, with why each was chosen."""
        checked(body)
        with holder.lease() as index:
            result = index.retrieve(body.query, k=body.k, mode=body.mode)
        return JSONResponse(result.to_dict())  # exactly `query --json`: provenance keys only when set

    @app.post("/explain", dependencies=auth, responses={200: {"content": {"image/svg+xml": {}}}})
    def explain(body: QueryRequest, passage: int = 0) -> Response:
        """SVG of the subgraph that brought passage number `passage` (0-based) of this query."""
        from ..explain import explain_svg

        checked(body)
        with holder.lease() as index:
            result = index.retrieve(body.query, k=body.k, mode=body.mode)
        if not result.passages:
            raise ApiError(422, "passage_out_of_range", "the query returned no passages to explain")
        if not 0 <= passage < len(result.passages):
            raise ApiError(422, "passage_out_of_range", f"passage must be between 0 and {len(result.passages) - 1}, got {passage}")
        return Response(explain_svg(result, passage), media_type="image/svg+xml")

    @app.post("/answer", dependencies=auth)
    def answer(body: AnswerRequest) -> dict[str, Any]:
        """Retrieve, then answer with the configured reader LLM, citing the passages used."""
        from ..reader.answer import MAX_STEPS

        checked(body)
        if not 0 <= body.steps <= MAX_STEPS:
            raise ApiError(422, "steps_out_of_range", f"steps must be between 0 and {MAX_STEPS}, got {body.steps}")
        if reader is None and llm is None:
            raise ApiError(503, "no_reader", "no reader LLM is configured: start serve with --llm-base-url URL and --llm-model NAME, "
                           "or --pipeline FILE whose [reader] table names a model")
        with holder.lease() as index:
            result = index.answer(body.query, k=body.k, mode=body.mode, steps=body.steps, reader=reader, llm=llm, cache_dir=cache_dir)
        return result.to_dict()

    @app.post("/passages", response_model=ChangeResponse, dependencies=auth)
    def insert(body: InsertRequest) -> dict[str, Any]:
        """Add passages in one transaction (ids are content hashes; ones already present are counted)."""
        from ..corpus import _Collector

        if not body.passages:
            raise ApiError(422, "invalid_request", "passages is empty")
        if len(body.passages) > limits.max_passages_per_insert:
            raise ApiError(413, "too_many_passages",
                           f"{len(body.passages)} passages in one request, over the {limits.max_passages_per_insert} limit")
        with holder.lease() as index:
            collector = _Collector(False, index.config.chunking)
        for number, item in enumerate(body.passages):
            _text(item.title, f"passages[{number}].title", limits.max_passage_chars, required=False)
            _text(item.text, f"passages[{number}].text", limits.max_passage_chars)
            collector.add(f"passages[{number}]", item.title, item.text)
        return _change(holder.write(add=collector.report.passages))

    @app.delete("/passages/{passage_id}", response_model=ChangeResponse, dependencies=auth)
    def delete(passage_id: str) -> dict[str, Any]:
        """Remove one passage, and every fact, phrase and edge only it supported."""
        if not is_passage_id(passage_id):
            raise ApiError(422, "invalid_id", "a passage id is 16 hexadecimal digits (a content hash)")
        gone = ApiError(404, "not_found", f"no passage with id {passage_id} in the index")
        with holder.lease() as index:
            if not index.has_passage(passage_id):
                raise gone
        try:
            return _change(holder.write(remove=[passage_id]))
        except InputError:
            with holder.lease() as index:  # another request deleted it in between
                if not index.has_passage(passage_id):
                    raise gone from None
            raise

    def _change(summary: Any) -> dict[str, Any]:
        return {"version": holder.committed_name(), "changed": summary.changed, "added": list(summary.added),
                "removed": list(summary.removed), "already_present": summary.already_present,
                "counts": summary.manifest.get("counts", summary.counts)}

    return app
