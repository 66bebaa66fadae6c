"""The HTTP API (`hipporag-like serve`): every endpoint against a real small index, auth on and
off, limits, read-your-commit, the error shape, and fuzzed bodies that must leave the index as
it was. Everything runs in process through FastAPI's TestClient: no socket is opened."""

from __future__ import annotations

import json
import shutil
import xml.dom.minidom
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi")
hypothesis = pytest.importorskip("hypothesis")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import SHOWCASE  # noqa: E402
from hipporag_like.errors import IndexLockedError, InputError  # noqa: E402
from hipporag_like.llm.backend import ChatAnswer  # noqa: E402
from hipporag_like.server import create_app  # noqa: E402
from hipporag_like.server.models import Limits  # noqa: E402

NEW = {"title": "Zed Corp", "text": "Zed Corp is a lantern maker founded by Alice Zed in the port town of Marrowgate."}


def _copy(source: Path, into: Path) -> Path:
    target = into / "demo"
    shutil.copytree(source, target)
    return target


@pytest.fixture()
def index_dir(demo_index_path: Path, tmp_path: Path) -> Path:
    return _copy(demo_index_path, tmp_path)


@pytest.fixture()
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index_dir, api_key="")) as c:
        yield c


def _error(response: Any, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def _current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text()


# -- endpoints ------------------------------------------------------------------------------------
def test_healthz_stats_and_docs(client: TestClient, index_dir: Path) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": _current(index_dir).strip()}
    stats = client.get("/stats").json()
    assert stats["passages"] == 43 and stats["version"] == _current(index_dir).strip()
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/query", "/answer", "/passages", "/passages/{passage_id}", "/stats", "/healthz", "/explain"} <= set(paths)


def test_query_answers_in_the_query_json_shape(client: TestClient, demo_index) -> None:
    response = client.post("/query", json={"query": SHOWCASE, "k": 3})
    assert response.status_code == 200
    expected = json.loads(json.dumps(demo_index.retrieve(SHOWCASE, k=3).to_dict()))
    assert response.json() == expected
    assert [p["title"] for p in response.json()["passages"]][:2] == ["The Salt Ledger", "Greywick Press"]
    dense = client.post("/query", json={"query": SHOWCASE, "k": 2, "mode": "dense"}).json()
    assert dense["mode"] == "dense" and len(dense["passages"]) == 2


def test_insert_is_read_by_the_next_request_then_delete(client: TestClient, index_dir: Path) -> None:
    before = _current(index_dir)
    response = client.post("/passages", json={"passages": [NEW, {"title": "", "text": "Marrowgate lies on the Brindle river."}]})
    assert response.status_code == 200, response.text
    change = response.json()
    assert change["changed"] and len(change["added"]) == 2 and change["counts"]["passages"] == 45
    assert int(_current(index_dir)[1:]) == int(before[1:]) + 1  # one transaction: one new version
    assert change["version"] == _current(index_dir).strip()
    hits = client.post("/query", json={"query": "Who founded Zed Corp?", "k": 1}).json()["passages"]
    assert hits[0]["title"] == "Zed Corp"  # read-your-commit, no restart
    assert client.get("/stats").json()["passages"] == 45
    again = client.post("/passages", json={"passages": [NEW]}).json()
    assert not again["changed"] and again["already_present"] == 1
    gone = client.delete(f"/passages/{hits[0]['id']}")
    assert gone.status_code == 200 and gone.json()["removed"] == [hits[0]["id"]]
    titles = [p["title"] for p in client.post("/query", json={"query": "Who founded Zed Corp?", "k": 5}).json()["passages"]]
    assert "Zed Corp" not in titles
    _error(client.delete(f"/passages/{hits[0]['id']}"), 404, "not_found")
    _error(client.delete("/passages/not-an-id!"), 422, "invalid_id")


def test_a_commit_by_another_writer_is_picked_up(client: TestClient, index_dir: Path) -> None:
    from hipporag_like import Index
    from hipporag_like.corpus import Passage

    assert client.post("/query", json={"query": SHOWCASE, "k": 1}).status_code == 200  # the server holds a version
    with Index.open(index_dir) as other:
        other.insert([Passage.make(NEW["title"], NEW["text"])])
    assert client.get("/healthz").json()["version"] == _current(index_dir).strip()
    assert client.post("/query", json={"query": "Who founded Zed Corp?", "k": 1}).json()["passages"][0]["title"] == "Zed Corp"


def test_a_bad_passage_fails_the_whole_insert(client: TestClient, index_dir: Path) -> None:
    before = _current(index_dir)
    _error(client.post("/passages", json={"passages": [NEW, {"title": "x", "text": "   "}]}), 422, "invalid_request")
    _error(client.post("/passages", json={"passages": [NEW, NEW]}), 422, "invalid_input")  # a duplicate
    _error(client.post("/passages", json={"passages": []}), 422)
    assert _current(index_dir) == before and client.get("/stats").json()["passages"] == 43


def test_explain_endpoint_and_svg(client: TestClient, demo_index) -> None:
    from hipporag_like.explain import explain_svg

    response = client.post("/explain?passage=0", json={"query": SHOWCASE, "k": 3})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    result = demo_index.retrieve(SHOWCASE, k=3)
    assert response.text == explain_svg(result, 0)
    xml.dom.minidom.parseString(response.text)  # well-formed
    for seed in result.passages[0].why.seed_phrases:
        assert seed.phrase in response.text
    _error(client.post("/explain?passage=7", json={"query": SHOWCASE, "k": 3}), 422, "passage_out_of_range")


def test_explain_svg_escapes_text() -> None:
    from hipporag_like.explain import explain_svg
    from hipporag_like.results import FactHit, RetrievalResult, RetrievedPassage, SeedPhrase, Why

    seed = SeedPhrase("<script>alert(1)</script>", 1.0)
    hit = RetrievedPassage("abc", 'A & "B"', "text <b>", 0.5, Why((seed,), (FactHit("a<", "r&", "o>", 0.9),), 0.3))
    svg = explain_svg(RetrievalResult("q <i>", "hybrid", (hit,), (seed,)), 0)
    xml.dom.minidom.parseString(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    with pytest.raises(IndexError):
        explain_svg(RetrievalResult("q", "hybrid", (hit,)), 1)


class _FakeReader:
    """A ChatBackend that answers every request the same way, citing passage [1]."""

    name, model = "fake", "fake-reader"

    def complete(self, requests, stop):  # type: ignore[no-untyped-def]
        for request in requests:
            yield ChatAnswer(request.tag, "ok", text="Greywick Press was founded by Maren Tull [1].\nAnswer: Maren Tull [1]")


def test_answer_needs_a_reader(client: TestClient, index_dir: Path, tmp_path: Path) -> None:
    error = _error(client.post("/answer", json={"query": SHOWCASE}), 503, "no_reader")
    assert "--llm-model" in error["message"]
    with TestClient(create_app(index_dir, api_key="", llm=_FakeReader(), cache_dir=tmp_path / "cache")) as reading:
        response = reading.post("/answer", json={"query": SHOWCASE, "k": 3})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["answer"] == "Maren Tull" and body["citations"][0]["n"] == 1
        _error(reading.post("/answer", json={"query": SHOWCASE, "steps": 99}), 422, "steps_out_of_range")


def test_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script src" not in page.text and "http://" not in page.text and "https://" not in page.text
    assert 'id="q"' in page.text and "/explain" in page.text


# -- auth -----------------------------------------------------------------------------------------
def test_bearer_token(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIPPORAG_LIKE_API_KEY", "s3cret")
    with TestClient(create_app(index_dir)) as c:
        response = c.post("/query", json={"query": SHOWCASE})
        _error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        _error(c.post("/query", json={"query": SHOWCASE}, headers={"authorization": "Bearer wrong"}), 401)
        _error(c.get("/stats", headers={"authorization": "s3cret"}), 401)
        _error(c.post("/passages", json={"passages": [NEW]}), 401)
        _error(c.delete("/passages/e2ff47fb7ce08af5"), 401)
        good = {"authorization": "Bearer s3cret"}
        assert c.post("/query", json={"query": SHOWCASE, "k": 1}, headers=good).status_code == 200
        assert c.get("/stats", headers=good).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200
    monkeypatch.delenv("HIPPORAG_LIKE_API_KEY")
    with TestClient(create_app(index_dir)) as open_client:
        assert open_client.post("/query", json={"query": SHOWCASE, "k": 1}).status_code == 200


def test_serve_refuses_a_remote_host_without_a_key(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from hipporag_like.cli import main
    from hipporag_like.commands.serve import is_loopback

    monkeypatch.delenv("HIPPORAG_LIKE_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.1")


# -- limits and errors ----------------------------------------------------------------------------
def test_limits(index_dir: Path) -> None:
    limits = Limits(max_question_chars=50, max_k=10, max_body_bytes=4000, max_passages_per_insert=2, max_passage_chars=500)
    with TestClient(create_app(index_dir, api_key="", limits=limits)) as c:
        _error(c.post("/query", json={"query": "x" * 51}), 422, "too_long")
        _error(c.post("/query", json={"query": "x", "k": 11}), 422, "k_out_of_range")
        _error(c.post("/query", json={"query": "x", "k": 0}), 422, "k_out_of_range")
        _error(c.post("/query", json={"query": "   "}), 422, "invalid_request")
        _error(c.post("/query", content=json.dumps({"query": "x" * 5000}), headers={"content-type": "application/json"}),
               413, "body_too_large")
        chunks = (b'{"query": "' + b"y" * 1000 for _ in range(5))  # streamed: no Content-Length
        _error(c.post("/query", content=chunks, headers={"content-type": "application/json"}), 413, "body_too_large")
        _error(c.post("/passages", json={"passages": [NEW] * 3}), 413, "too_many_passages")
        _error(c.post("/passages", json={"passages": [{"title": "", "text": "z" * 501}]}), 422, "too_long")
        assert c.post("/query", json={"query": SHOWCASE[:50], "k": 10}).status_code == 200


def test_error_shape(client: TestClient, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _error(client.get("/nowhere"), 404, "not_found")
    _error(client.get("/query"), 405, "method_not_allowed")
    _error(client.post("/query", content=b"{not json", headers={"content-type": "application/json"}), 400, "invalid_json")
    _error(client.post("/query", json={"query": SHOWCASE, "k": "5"}), 422, "invalid_request")
    _error(client.post("/query", json={"query": SHOWCASE, "mode": "psychic"}), 422, "invalid_request")
    _error(client.post("/query", content=b'{"query": "\\ud800"}', headers={"content-type": "application/json"}), 422, "invalid_text")
    holder = client.app.state.holder

    def locked(*args: Any, **kwargs: Any) -> None:
        raise IndexLockedError("indexes/demo: another process is writing this index (pid 1)")

    monkeypatch.setattr(holder, "write", locked)
    _error(client.post("/passages", json={"passages": [NEW]}), 409, "index_locked")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(holder, "lease", broken)
    with TestClient(client.app, raise_server_exceptions=False) as quiet:
        error = _error(quiet.post("/query", json={"query": SHOWCASE}), 500, "internal")
        assert "secret" not in error["message"]


# -- fuzz -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_target(demo_index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    index_dir = _copy(demo_index_path, tmp_path_factory.mktemp("fuzz"))
    limits = Limits(max_question_chars=300, max_k=20, max_body_bytes=20_000, max_passages_per_insert=3, max_passage_chars=2000)
    with TestClient(create_app(index_dir, api_key="", limits=limits), raise_server_exceptions=False) as c:
        yield c, index_dir


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
                  st.floats(allow_nan=False), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
_WEIRD_TEXT = st.text(alphabet=st.characters(codec=None, categories=None), min_size=1, max_size=60)
_SURROGATE = st.sampled_from(["\ud800", "a\udfff", "\udbff\udbff b"])
_BAD_K = st.one_of(st.integers(min_value=21, max_value=10**30), st.integers(max_value=0, min_value=-(10**30)),
                   st.floats(allow_nan=False), st.text(max_size=4), st.booleans(), st.lists(st.integers(), max_size=2))

_BAD_QUERY = st.one_of(
    _JUNK.filter(lambda v: not isinstance(v, dict)),
    st.fixed_dictionaries({"query": _JUNK}),
    st.fixed_dictionaries({"query": _WEIRD_TEXT, "k": _BAD_K}),
    st.fixed_dictionaries({"query": _WEIRD_TEXT, "mode": st.text(max_size=12).filter(lambda m: m not in ("hybrid", "ppr-fact", "ppr-entity", "dense", "bm25"))}),
    st.fixed_dictionaries({"query": _WEIRD_TEXT, "surplus": _JUNK}),
    st.fixed_dictionaries({"query": _SURROGATE}),
    st.fixed_dictionaries({"query": st.text(alphabet=" \t\n\u00a0\u2003", max_size=8)}),
    st.fixed_dictionaries({"query": st.text(min_size=301, max_size=400)}),
    st.fixed_dictionaries({}, optional={"k": st.integers(1, 5), "mode": st.just("dense")}),
)

_GOOD_TEXT = st.just("A lantern maker in Marrowgate.")
_BAD_PASSAGE = st.one_of(
    _JUNK,
    st.fixed_dictionaries({"title": _JUNK.filter(lambda v: v is not None), "text": _GOOD_TEXT}),
    st.fixed_dictionaries({"title": st.text(max_size=10), "text": _JUNK}),
    st.fixed_dictionaries({"title": st.text(max_size=10)}),
    st.fixed_dictionaries({"title": st.text(max_size=10), "text": st.text(alphabet=" \t\n\r", max_size=5)}),
    st.fixed_dictionaries({"title": _SURROGATE, "text": _GOOD_TEXT}),
    st.fixed_dictionaries({"title": st.text(max_size=10), "text": _SURROGATE}),
    st.fixed_dictionaries({"text": _GOOD_TEXT, "extra": _JUNK}),
)
_BAD_INSERT = st.one_of(
    _JUNK,
    st.fixed_dictionaries({"passages": _JUNK.filter(lambda v: not isinstance(v, list))}),
    st.fixed_dictionaries({"passages": st.lists(_BAD_PASSAGE, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"passages": st.lists(st.just({"title": "t", "text": "Some text."}), min_size=4, max_size=6)}),
    st.fixed_dictionaries({"passages": st.just([]), "more": _JUNK}),
)


def _send(client: TestClient, path: str, body: Any) -> Any:
    try:
        payload = json.dumps(body).encode()  # ASCII escapes: lone surrogates travel as \\udXXX
    except (ValueError, OverflowError):
        payload = repr(body).encode("utf-8", "surrogatepass")
    return client.post(path, content=payload, headers={"content-type": "application/json"})


def _unchanged(client: TestClient, index_dir: Path, before: tuple[str, dict]) -> None:
    assert (_current(index_dir), client.get("/stats").json()) == before


def _rejected_and_unchanged(client: TestClient, index_dir: Path, path: str, body: Any) -> None:
    """A bad body gets a 4xx in the error shape, and the index is as it was."""
    before = (_current(index_dir), client.get("/stats").json())
    response = _send(client, path, body)
    assert 400 <= response.status_code < 500, (body, response.text)
    _error(response, response.status_code)
    _unchanged(client, index_dir, before)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_BAD_QUERY)
def test_fuzz_query_gets_a_4xx_and_changes_nothing(fuzz_target: tuple[TestClient, Path], body: Any) -> None:
    _rejected_and_unchanged(*fuzz_target, "/query", body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_BAD_INSERT)
def test_fuzz_insert_gets_a_4xx_and_changes_nothing(fuzz_target: tuple[TestClient, Path], body: Any) -> None:
    _rejected_and_unchanged(*fuzz_target, "/passages", body)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(question=_WEIRD_TEXT, k=st.integers(1, 20))
def test_fuzz_odd_but_valid_questions_never_fail(fuzz_target: tuple[TestClient, Path], question: str, k: int) -> None:
    client, index_dir = fuzz_target
    before = (_current(index_dir), client.get("/stats").json())
    response = _send(client, "/query", {"query": question, "k": k})
    if response.status_code == 200:
        assert len(response.json()["passages"]) <= k
    else:
        assert 400 <= response.status_code < 500, (question, response.text)
        _error(response, response.status_code)
    _unchanged(client, index_dir, before)


def test_query_explain_writes_the_svg(demo_index_path: Path, demo_index, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hipporag_like.cli import main

    out = tmp_path / "why.svg"
    result = CliRunner().invoke(main, ["query", SHOWCASE, "--index", str(demo_index_path), "-k", "3", "--explain", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    xml.dom.minidom.parseString(svg)
    assert all(s.phrase in svg for s in demo_index.retrieve(SHOWCASE, k=3).passages[0].why.seed_phrases)


def test_a_server_walk_override_answers_like_the_default_and_survives_a_commit(index_dir: Path, demo_index) -> None:
    """`serve --ppr power`: the exact power walk gives the default walk's ranking, and the
    override holds for versions opened after a write."""
    with TestClient(create_app(index_dir, api_key="", ppr="power")) as c:
        expected = demo_index.retrieve(SHOWCASE, k=5).to_dict()
        got = c.post("/query", json={"query": SHOWCASE, "k": 5}).json()
        assert [p["id"] for p in got["passages"]] == [p["id"] for p in expected["passages"]]
        assert c.post("/passages", json={"passages": [NEW]}).status_code == 200
        assert c.post("/query", json={"query": "Who founded Zed Corp?", "k": 1}).status_code == 200
        with c.app.state.holder.lease() as index:  # the version the write opened
            assert index.retriever.config.ppr == "power"


def _hold_writer_lock(index_dir: Path, seconds: float, holding: Any) -> None:
    """Hold the index's writer lock as another writer would (another worker, a CLI insert)."""
    import fcntl
    import os
    import time

    lock = index_dir.parent / f".{index_dir.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.pwrite(fd, b"4242", 0)
        holding.set()
        time.sleep(seconds)
    finally:
        os.close(fd)


def test_a_write_waits_for_another_writer_then_commits_or_answers_409(index_dir: Path) -> None:
    import threading

    from hipporag_like.corpus import Passage
    from hipporag_like.server.state import IndexHolder

    holder = IndexHolder(index_dir, write_wait=30.0)
    try:
        holding = threading.Event()
        other = threading.Thread(target=_hold_writer_lock, args=(index_dir, 1.0, holding))
        other.start()
        holding.wait()
        summary = holder.write(add=[Passage.make(**NEW)])  # waits about a second, then commits
        other.join()
        assert summary.changed and len(summary.added) == 1
        with holder.lease() as index:
            assert index.folder.name == _current(index_dir).strip()
    finally:
        holder.close()

    with TestClient(create_app(index_dir, api_key="")) as c:
        c.app.state.holder.write_wait = 0.3
        holding = threading.Event()
        other = threading.Thread(target=_hold_writer_lock, args=(index_dir, 2.0, holding))
        other.start()
        holding.wait()
        before = _current(index_dir)
        error = _error(c.post("/passages", json={"passages": [{"title": "Late", "text": "A passage that waits too long."}]}),
                       409, "index_locked")
        assert "pid 4242" in error["message"] and _current(index_dir) == before
        other.join()


# -- what an outside audit of the API found (2026-11-30) ---------------------------------------
def test_a_body_that_is_not_json_is_415_and_the_token_comes_before_the_parser(index_dir: Path) -> None:
    with TestClient(create_app(index_dir, api_key="k3y-\u00fc")) as c:
        good = {"authorization": b"Bearer " + "k3y-\u00fc".encode("utf-8")}  # the key's UTF-8 bytes on the wire
        assert c.post("/query", json={"query": "Who founded Greywick Press?"}, headers=good).status_code == 200
        _error(c.post("/query", content=b"{", headers={"content-type": "application/json"}), 401, "unauthorized")
        _error(c.post("/query", content=b'{"query": "x"}', headers={**good, "content-type": "text/plain"}), 415, "unsupported_media_type")
        _error(c.post("/query", content=b'{"query": "x"}', headers=good), 415, "unsupported_media_type")
        _error(c.post("/query", content=b"{", headers={**good, "content-type": "application/json"}), 400, "invalid_json")
        _error(c.post("/query", content=b'{"query": "\xff"}', headers={**good, "content-type": "application/json"}), 400, "invalid_json")
    with pytest.raises(InputError, match="set but blank"):
        create_app(index_dir, api_key="   ")


def test_methods_ids_and_blank_passages(client: TestClient) -> None:
    wrong = client.put("/query")
    _error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"
    assert client.head("/healthz").status_code == 200 and client.head("/").status_code == 200
    assert client.get("/redoc").status_code == 404  # the README documents /docs only
    _error(client.delete("/passages/a"), 422, "invalid_id")
    _error(client.delete("/passages/zzzzzzzzzzzzzzzz"), 422, "invalid_id")
    before = client.get("/stats").json()["passages"]
    for text in ("\u0000", "\u200b\u200b", " \t"):
        _error(client.post("/passages", json={"passages": [{"title": "T", "text": text}]}), 422, "invalid_request")
    assert client.get("/stats").json()["passages"] == before


def test_a_delete_that_loses_the_race_is_404(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two DELETEs of one id: the second finds it present, then its write finds it gone."""
    holder = client.app.state.holder
    real_write = holder.write
    hit = client.post("/query", json={"query": SHOWCASE, "k": 1}).json()["passages"][0]["id"]

    def write_after_another(**change: Any) -> Any:
        real_write(**change)  # the other request's delete lands first
        return real_write(**change)

    monkeypatch.setattr(holder, "write", write_after_another)
    _error(client.delete(f"/passages/{hit}"), 404, "not_found")


def test_an_unreachable_reader_is_502(index_dir: Path) -> None:
    from hipporag_like.config import ReaderConfig

    reader = ReaderConfig(model="m", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout_s=5)
    with TestClient(create_app(index_dir, api_key="", reader=reader)) as c:
        _error(c.post("/answer", json={"query": SHOWCASE, "k": 2}), 502, "llm_unavailable")
        _error(c.post("/answer", json={"query": SHOWCASE, "steps": -1}), 422, "steps_out_of_range")
