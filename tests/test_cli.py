"""The command line: help with examples, exit codes, --json shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hipporag_like.cli import main

from conftest import DEMO, ROOT, SHOWCASE

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"hipporag-like {command}" in result.output


def test_query_json_shape(demo_index_path):
    result = CliRunner().invoke(main, ["query", SHOWCASE, "--index", str(demo_index_path), "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == SHOWCASE and len(data["passages"]) == 3
    for passage in data["passages"]:
        assert set(passage) == {"id", "title", "text", "score", "why"}
        assert set(passage["why"]) == {"seed_phrases", "facts", "dense_score", "named_by"}


def test_stats_json(demo_index_path):
    result = CliRunner().invoke(main, ["stats", "--index", str(demo_index_path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["passages"] == 43 and set(data["edges"]) == {"relation", "passage", "synonymy"}


def test_index_json_and_query_text(tmp_path):
    index_dir = tmp_path / "idx"
    corpus = tmp_path / "c.jsonl"
    source = json.loads((DEMO / "corpus.json").read_text())[:6]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in source))
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index_dir), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["passages"] == 6 and summary["index"] == str(index_dir) and summary["failed"] == []
    result = CliRunner().invoke(main, ["query", "Who founded Greywick Press?", "--index", str(index_dir), "-k", "2"])
    assert result.exit_code == 0 and "1. " in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "q", "--index", "{tmp}/missing"], "no such index folder"),
        (["query", "q", "--index", "{index}", "--mode", "nope"], "Invalid value for '--mode'"),
        (["query", "q", "--index", "{index}", "-k", "0"], "Invalid value for '-k'"),
        (["query", "  ", "--index", "{index}"], "the question is empty"),
        (["index", "{tmp}/nope.json", "--index", "{tmp}/out"], "no such file or folder"),
        (["index", "{bad}", "--index", "{tmp}/out"], 'record 0: missing field "text"'),
        (["index", "{good}", "--index", "{tmp}/out", "--pipeline", "{tmp}/nope.toml"], "no such pipeline file"),
        (["stats", "--index", "{good}"], "is a file"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_usage_and_input_exit_2(tmp_path, demo_index_path, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"title": "x"}]')
    good = tmp_path / "good.json"
    good.write_text('[{"title": "x", "text": "y"}]')
    values = {"tmp": tmp_path, "index": demo_index_path, "bad": bad, "good": good}
    result = CliRunner().invoke(main, [a.format(**values) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_console_script_exit_codes(demo_index_path, tmp_path):
    """The installed entry point, as users run it."""
    cli = [sys.executable, str(ROOT / "cli.py")]
    ok = subprocess.run([*cli, "stats", "--index", str(demo_index_path)], capture_output=True, text=True)
    assert ok.returncode == 0 and "passages" in ok.stdout
    bad = subprocess.run([*cli, "stats", "--index", str(tmp_path / "none")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("error: ")


def test_a_closed_pipe_ends_quietly(demo_index_path):
    """`hipporag-like query ... | head`: the reader going away is not an error to report."""
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "stats", "--index", str(demo_index_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before the command has written anything
    stderr = process.stderr.read().decode()
    assert process.wait() == 141 and stderr == ""


def test_index_with_an_llm_extractor_through_the_cli(tmp_path):
    """The CLI's LLM path end to end against the fake server that stands in for the model:
    a second run and a dry run make no call at all."""
    from fake_llm_server import FakeLLMServer

    corpus = tmp_path / "c.json"
    corpus.write_text((DEMO / "corpus.json").read_text())
    with FakeLLMServer() as server:
        args = ["index", str(corpus), "--index", str(tmp_path / "idx"), "--extractor", "openai", "--llm-model", "stand-in",
                "--llm-base-url", server.base_url, "--cache-dir", str(tmp_path / "cache"), "--json"]
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0, first.output
        summary = json.loads(first.stdout)  # stderr has a note on where the LLM calls go
        assert summary["passages"] == 43 and summary["quarantined"] == [] and summary["facts"] > 0
        assert server.calls == 2 * 43  # entities, then triples, per passage
        server.reset_counts()
        assert CliRunner().invoke(main, args).exit_code == 0
        dry = CliRunner().invoke(main, [*args, "--dry-run"])
        assert dry.exit_code == 0 and json.loads(dry.stdout)["requests"] == 0
        assert server.calls == 0
        # ppr-entity asks the same backend for the question's entities, once per question.
        os.environ["HIPPORAG_LIKE_CACHE"], saved = str(tmp_path / "cache"), os.environ["HIPPORAG_LIKE_CACHE"]
        try:
            for _ in range(2):
                asked = CliRunner().invoke(main, ["query", "Who founded Greywick Press?", "--index", str(tmp_path / "idx"), "--mode", "ppr-entity", "--json"])
                assert asked.exit_code == 0, asked.output
        finally:
            os.environ["HIPPORAG_LIKE_CACHE"] = saved
        assert server.calls_for("question") == 1


def test_insert_and_delete_commands(tmp_path, demo_index_path):
    import shutil

    copy = tmp_path / "idx"
    shutil.copytree(demo_index_path, copy)
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"title": "Brannock Mill", "text": "Brannock Mill is a flour mill on the Ostrel River built by Tamsin Arlow in 1971."}) + "\n")
    added = CliRunner().invoke(main, ["insert", str(extra), "--index", str(copy), "--json", "--quiet"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["added"] == 1 and json.loads(added.output)["counts"]["passages"] == 44
    again = CliRunner().invoke(main, ["insert", str(extra), "--index", str(copy), "--json", "--quiet"])
    assert json.loads(again.output)["changed"] is False
    removed = CliRunner().invoke(main, ["delete", "--index", str(copy), "--source", str(extra), "--json", "--quiet"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.output)["removed"] == 1 and json.loads(removed.output)["counts"]["passages"] == 43
    missing = CliRunner().invoke(main, ["delete", "--index", str(copy), "--id", "0000000000000000"])
    assert missing.exit_code == 2 and "no passage with id '0000000000000000'" in missing.output
    assert CliRunner().invoke(main, ["delete", "--index", str(copy)]).exit_code == 2


def _llm_pipeline(tmp_path, base_url: str, **extractor: object) -> str:
    lines = ["[extractor]", 'kind = "openai"', 'model = "stand-in"', f'base_url = "{base_url}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in extractor.items()]
    path = tmp_path / "llm.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _corpus(tmp_path, name: str, passages) -> str:
    path = tmp_path / name
    path.write_text(json.dumps([{"title": p.title, "text": p.text} for p in passages]))
    return str(path)


def test_failed_extractions_are_listed_committed_and_exit_2_unless_allowed(tmp_path):
    """A server that keeps failing (here: 503, no retries) once gave exit 0, "0 facts" and
    "quarantined": [] -- nothing said that passages went unextracted."""
    from fake_llm_server import FakeLLMServer, fixture_passage

    good, down = fixture_passage("good", 0), fixture_passage("down", 0)
    with FakeLLMServer() as server:
        host = server.base_url.removeprefix("http://")
        pipeline = _llm_pipeline(tmp_path, f"http://user:s3cr3t-pw@{host}", max_retries=0)
        args = ["index", _corpus(tmp_path, "c.json", [good, down]), "--index", str(tmp_path / "idx"), "--pipeline", pipeline,
                "--cache-dir", str(tmp_path / "cache"), "--json"]
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 2, first.output
        summary = json.loads(first.stdout)
        assert [(f["passage_id"], f["title"]) for f in summary["failed"]] == [(down.id, down.title)]
        assert "503" in summary["failed"][0]["error"] and summary["passages"] == 2 and summary["facts"] > 0
        assert f"failed extraction: {down.title} [{down.id}]" in first.stderr
        assert first.stderr.splitlines()[-1] == (
            "error: 1 passage failed extraction (listed above); rerun with --retry-failed, or pass --allow-failed to accept")
        assert "s3cr3t-pw" not in first.output
        assert not any("s3cr3t-pw" in f.read_text(errors="replace") for f in (tmp_path / "idx").rglob("*.json"))
        # Committed all the same: the good passage's facts are searchable, its answers cached.
        assert CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "idx")]).exit_code == 0
        server.reset_counts()
        accepted = CliRunner().invoke(main, [*args, "--allow-failed"])
        assert accepted.exit_code == 0, accepted.output
        assert len(json.loads(accepted.stdout)["failed"]) == 1
        assert server.calls_for(fixture="good") == 0 and server.calls_for(fixture="down") == 1  # only the failed one asked again

        more = ["insert", _corpus(tmp_path, "more.json", [fixture_passage("down", 1)]), "--index", str(tmp_path / "idx"),
                "--cache-dir", str(tmp_path / "cache"), "--json"]
        inserted = CliRunner().invoke(main, more)
        assert inserted.exit_code == 2 and "1 passage failed extraction" in inserted.stderr
        data = json.loads(inserted.stdout)
        assert data["added"] == 1 and data["counts"]["passages"] == 3 and [f["title"] for f in data["failed"]] == ["Down 1"]


def test_a_server_that_never_answers_times_out_with_a_note(tmp_path):
    """A loopback socket that accepts and never answers: the run says where it waits and for how
    long, gives up after the timeout, and exits 2 naming the failure (the real command line)."""
    import socket
    import threading

    from fake_llm_server import fixture_passage

    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        pipeline = _llm_pipeline(tmp_path, f"http://127.0.0.1:{port}/v1", timeout_s=0.5, max_retries=0)
        env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(tmp_path / "cache")}
        result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "index", _corpus(tmp_path, "c.json", [fixture_passage("good", 0)]),
                                 "--index", str(tmp_path / "idx"), "--pipeline", pipeline], capture_output=True, text=True, env=env, timeout=300)
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
    assert accepted, "the CLI never connected"
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert lines[0] == f"extracting 1 passages with openai model 'stand-in' at http://127.0.0.1:{port}/v1; each request waits at most 0.5 s and is retried up to 0 times"
    assert "APITimeoutError" in lines[1] and lines[-1].startswith("error: 1 passage failed extraction")


def test_query_text_output_strips_terminal_escapes(tmp_path):
    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps([{"title": "Alder \x1b[2J\x1b]0;pwned\x07Quay", "text": "Alder Quay is a harbour \x1b[31mtown\x1b[0m.\x07"},
                                  {"title": "Brimwell", "text": "Brimwell is a river in the north."}]))
    assert CliRunner().invoke(main, ["index", str(corpus), "--index", str(tmp_path / "idx"), "--quiet"]).exit_code == 0
    shown = CliRunner().invoke(main, ["query", "Where is Alder Quay?", "--index", str(tmp_path / "idx"), "-k", "1"])
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "1. Alder Quay" in shown.stdout and "Alder Quay is a harbour town." in shown.stdout
    exact = CliRunner().invoke(main, ["query", "Where is Alder Quay?", "--index", str(tmp_path / "idx"), "-k", "1", "--json"])
    assert json.loads(exact.stdout)["passages"][0]["text"] == "Alder Quay is a harbour \x1b[31mtown\x1b[0m.\x07"  # JSON stays exact


@pytest.mark.parametrize("args, message", [
    (["query", "q", "--index", "{index}", "-k", "0", "--json"], "Invalid value for '-k': 0 is not in the range x>=1. (see 'main query --help')"),
    (["query", "q", "--index", "{tmp}/missing", "--json"], "{tmp}/missing: no such index folder"),
])
def test_json_failures_print_the_error_as_json_too(args, message, demo_index_path, tmp_path):
    """A --json consumer reads {"error": {"code", "message"}} on stdout; stderr keeps its one line."""
    args = [a.format(index=demo_index_path, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(main, args)
    message = message.format(tmp=tmp_path)
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error": {"code": 2, "message": message}}
    assert result.stderr.splitlines() == [f"error: {message}"]


def test_usage_errors_are_one_line():
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 2 and result.output.splitlines() == ["error: No such command 'nosuch'. (see 'main --help')"]
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0


def test_serve_on_a_port_in_use_fails_before_announcing(demo_index_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--index", str(demo_index_path), "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)"]


def test_json_output_stays_utf8_with_a_path_that_is_not(demo_index_path, tmp_path):
    """Linux paths may hold any bytes; --json must still print valid UTF-8 JSON."""
    import shutil

    copy = os.fsencode(tmp_path) + b"/o\xffx"
    shutil.copytree(demo_index_path, os.fsdecode(copy))
    result = subprocess.run([sys.executable.encode(), str(ROOT / "cli.py").encode(), b"stats", b"--index", copy, b"--json"],
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode("utf-8"))["index"] == os.fsdecode(copy)


def test_help_into_a_closed_pipe_and_no_arguments():
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    assert process.wait() == 141 and process.stderr.read() == b""
    bare = subprocess.run([sys.executable, str(ROOT / "cli.py")], capture_output=True, text=True)
    assert bare.stdout.startswith("Usage: ") and "error" not in bare.stdout + bare.stderr  # its help, as asked


def test_prices_must_be_finite(tmp_path):
    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps([{"title": "A", "text": "Alder Quay is a harbour town."}]))
    for price in ("nan", "inf", "-1"):
        result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(tmp_path / "i"), "--dry-run", f"--price-in={price}"])
        assert result.exit_code == 2 and "is not a price" in result.output


def test_insert_of_a_folder_says_which_files_it_skipped(demo_index_path, tmp_path):
    import shutil

    index = tmp_path / "index"
    shutil.copytree(demo_index_path, index)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mill.md").write_text("# Zed Mill\n\nZed Mill is a flour mill on the Ostrel River.", encoding="utf-8")
    (docs / "more.csv").write_text("title,text\nA,x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["insert", str(docs), "--index", str(index), "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"warning: {docs}: skipped 1 file(s) that are not .txt, .md, .pdf or .html, e.g. more.csv" in result.stderr
    again = CliRunner().invoke(main, ["insert", str(docs), "--index", str(index), "--replace-source", "--json", "--quiet"])
    assert again.exit_code == 0 and json.loads(again.stdout)["warnings"] and not json.loads(again.stdout)["changed"]
    said = CliRunner().invoke(main, ["insert", str(docs), "--index", str(index), "--replace-source", "--quiet"])
    assert "nothing to change" in said.stdout and "(its documents are up to date)" in said.stdout
