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
        assert set(passage["why"]) == {"seed_phrases", "facts", "dense_score"}


def test_stats_json(demo_index_path):
    result = CliRunner().invoke(main, ["stats", "--index", str(demo_index_path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["passages"] == 43 and set(data["edges"]) == {"relation", "passage", "synonymy"}


def test_index_json_and_query_text(tmp_path):
    index_dir = tmp_path / "idx"
    corpus = tmp_path / "c.jsonl"
    lines = [json.loads(l) for l in []]
    source = json.loads((DEMO / "corpus.json").read_text())[:6]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in source + lines))
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index_dir), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["passages"] == 6 and summary["index"] == str(index_dir)
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
        summary = json.loads(first.output)
        assert summary["passages"] == 43 and summary["quarantined"] == [] and summary["facts"] > 0
        assert server.calls == 2 * 43  # entities, then triples, per passage
        server.reset_counts()
        assert CliRunner().invoke(main, args).exit_code == 0
        dry = CliRunner().invoke(main, [*args, "--dry-run"])
        assert dry.exit_code == 0 and json.loads(dry.output)["requests"] == 0
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
    removed = CliRunner().invoke(main, ["delete", "--index", str(copy), "--source", str(extra), "--json"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.output)["removed"] == 1 and json.loads(removed.output)["counts"]["passages"] == 43
    missing = CliRunner().invoke(main, ["delete", "--index", str(copy), "--id", "0000000000000000"])
    assert missing.exit_code == 2 and "no passage with id 0000000000000000" in missing.output
    assert CliRunner().invoke(main, ["delete", "--index", str(copy)]).exit_code == 2
