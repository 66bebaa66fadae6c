"""Corpus readers: every format, good and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hipporag_like.config import ChunkingConfig
from hipporag_like.corpus import MAX_PASSAGE_CHARS, Passage, passage_id, read_corpus
from hipporag_like.errors import InputError

WHOLE = ChunkingConfig(enabled=False)  # every record one passage, as before chunking


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_json_list_of_title_text(tmp_path):
    f = write(tmp_path / "c.json", json.dumps([{"title": "A", "text": "Alpha text."}, {"title": "B", "text": "Beta."}]))
    passages = read_corpus([f]).passages
    assert [(p.title, p.text) for p in passages] == [("A", "Alpha text."), ("B", "Beta.")]
    assert passages[0].content == "A\nAlpha text."


def test_ids_are_content_hashes(tmp_path):
    a = write(tmp_path / "a.json", json.dumps([{"title": "A", "text": "Same."}]))
    b = write(tmp_path / "b.jsonl", json.dumps({"title": "A", "text": "Same."}) + "\n")
    assert read_corpus([a]).passages[0].id == read_corpus([b]).passages[0].id == passage_id("A", "Same.")
    assert passage_id("A", "Same.") != passage_id("A", "Other.")


def test_jsonl_csv_folder_and_hotpot_dict(tmp_path):
    jsonl = write(tmp_path / "c.jsonl", '{"title": "J", "text": "Json line."}\n\n{"text": "No title."}\n')
    csv = write(tmp_path / "c.csv", 'title,text\nC,"Comma, quoted."\n')
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    write(folder / "one.txt", "First file.")
    write(folder / "sub" / "two.md", "# Second\nfile.")
    write(folder / "ignored.bin", "nope")
    hotpot = write(tmp_path / "h.json", json.dumps({"Hot": ["One sentence.", " Two sentences."]}))
    passages = read_corpus([jsonl, csv, folder, hotpot]).passages
    assert [(p.title, p.text) for p in passages] == [
        ("J", "Json line."),
        ("", "No title."),
        ("C", "Comma, quoted."),
        ("one", "First file."),
        ("Second", "# Second\nfile."),  # a Markdown file's title is its first heading
        ("Hot", "One sentence. Two sentences."),
    ]


def test_a_folder_says_which_files_it_skipped(tmp_path):
    folder = tmp_path / "docs"
    (folder / ".git").mkdir(parents=True)
    write(folder / "notes.md", "# Notes\nKept.")
    write(folder / "corpus.csv", "title,text\nA,x\n")
    write(folder / ".git" / "HEAD", "ref")  # hidden: skipped without a word
    report = read_corpus([folder])
    assert [p.title for p in report.passages] == ["Notes"]
    assert report.warnings == [f"{folder}: skipped 1 file(s) that are not .txt, .md, .pdf or .html, e.g. corpus.csv "
                               "(name a .json, .jsonl or .csv corpus directly)"]
    (folder / "notes.md").unlink()
    with pytest.raises(InputError, match=r"folder holds no .txt or .md files .*name a .json, .jsonl or .csv corpus directly, e.g. .*corpus.csv"):
        read_corpus([folder])


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.json", '[{"title": "A", "text": "x"},', "bad.json:1: invalid JSON"),
        ("bad.json", '[{"title": "A"}]', 'record 0: missing field "text"'),
        ("bad.json", '[{"title": "A", "text": "  "}]', 'record 0: field "text" is empty'),
        ("bad.json", '[{"title": "A", "text": 3}]', 'record 0: field "text" must be a string, got int'),
        ("bad.json", '[{"title": 5, "text": "x"}]', 'record 0: field "title" must be a string'),
        ("bad.json", '[1]', "record 0: expected an object"),
        ("bad.json", '"just a string"', "expected a JSON list"),
        ("bad.json", '{"T": "not a list"}', 'title "T": expected a list of sentence strings'),
        ("bad.json", '[{"title": "A", "text": "x"}, {"title": "A", "text": "x"}]', "record 1: duplicate of"),
        ("bad.jsonl", '{"text": "ok"}\n{"text": \n', "bad.jsonl:2: invalid JSON"),
        ("bad.csv", "name,body\na,b\n", 'CSV needs a "text" column'),
        ("bad.json", "[]", "holds no passages"),
        ("bad.xml", "<a/>", "unknown corpus format '.xml'"),
        ("bad.json", '[{"title": "A", "text": "lone \\ud800 half"}]', 'record 0: field "text" is not valid Unicode (unpaired surrogate at character 5)'),
        ("bad.json", "[" * 100_000 + "]" * 100_000, "bad.json: invalid JSON: nested too deeply"),
        ("bad.jsonl", "[" * 100_000 + "]" * 100_000 + "\n", "bad.jsonl:1: invalid JSON: nested too deeply"),
        # an integer past Python's 4300-digit limit once escaped as an internal ValueError
        ("bad.jsonl", '{"text": "ok"}\n{"text": "x", "n": ' + "9" * 5000 + "}\n", "bad.jsonl:2: a number has more than 4300 digits"),
        ("bad.json", '[{"text": "x", "n": ' + "9" * 5000 + "}]", "bad.json: a number has more than 4300 digits"),
        # the parser's message ends in "at": the column must follow it, as for .json files
        ("bad.jsonl", '{"text": "ok"}\n{"text": "tab\there"}\n', "bad.jsonl:2: invalid JSON: Invalid control character at column 14"),
        ("bad.json", '[{"text": "tab\there"}]', "bad.json:1: invalid JSON: Invalid control character at column 15"),
        ("bad.jsonl", '{"text": "x"\n', "bad.jsonl:1: invalid JSON: Expecting ',' delimiter (column 13)"),
        # JSON's type names, not Python's
        ("bad.jsonl", '{"text": null}\n', 'bad.jsonl:1: field "text" must be a string, got null'),
        ("bad.json", '[{"text": {"a": 1}}]', 'record 0: field "text" must be a string, got object'),
        ("bad.json", '[{"text": "x", "title": true}]', 'record 0: field "title" must be a string, got boolean'),
        ("bad.json", '[null]', "record 0: expected an object with title and text, got null"),
        ("bad.csv", "text,text\na,b\n", 'bad.csv:1: column "text" appears twice in the header'),
        ("bad.csv", "title,text,title\nA,b,C\n", 'bad.csv:1: column "title" appears twice in the header'),
    ],
)
def test_bad_input_names_file_and_record(tmp_path, name, content, message):
    f = write(tmp_path / name, content)
    with pytest.raises(InputError) as caught:
        read_corpus([f])
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.json", json.dumps([{"title": "A", "text": "ok"}, {"title": "B", "text": "x" * 250_000}]),
         "bad.json: record 1: text is 250,000 characters, over the 200,000 limit; split it into passages first"),
        ("bad.jsonl", json.dumps({"text": "y" * (MAX_PASSAGE_CHARS + 1)}) + "\n", "bad.jsonl:1: text is 200,001 characters, over the 200,000 limit"),
        ("bad.csv", "title,text\nA," + "z" * 300_000 + "\n", "bad.csv:2: text is 300,000 characters"),
        ("bad.txt", "w" * 200_001, "bad.txt: text is 200,001 characters"),
    ],
)
def test_passage_size_limit_with_chunking_off(tmp_path, name, content, message):
    f = write(tmp_path / name, content)
    with pytest.raises(InputError) as caught:
        read_corpus([f], chunking=WHOLE)
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


def test_non_utf8_names_line(tmp_path):
    f = write(tmp_path / "latin.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"latin.jsonl:2: not valid UTF-8"):
        read_corpus([f])


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_corpus([tmp_path / "nope.json"])


def test_skip_bad_counts_instead_of_failing(tmp_path):
    f = write(tmp_path / "c.json", json.dumps([{"title": "A", "text": "ok"}, {"title": "B"}, {"title": "A", "text": "ok"}, {"text": ""}]))
    report = read_corpus([f], skip_bad=True)
    assert [p.title for p in report.passages] == ["A"]
    assert len(report.skipped) == 3
    assert any("duplicate" in s for s in report.skipped)


def test_passage_at_the_size_limit_is_kept_and_a_huge_one_skipped_with_skip_bad(tmp_path):
    padded = " " + "x" * MAX_PASSAGE_CHARS + "\n"  # the limit counts the stripped text
    f = write(tmp_path / "c.json", json.dumps([{"title": "Edge", "text": padded}, {"title": "Huge", "text": "x" * 250_000}]))
    report = read_corpus([f], skip_bad=True, chunking=WHOLE)
    assert [(p.title, len(p.text)) for p in report.passages] == [("Edge", MAX_PASSAGE_CHARS)]
    assert report.skipped == [f"{f}: record 1: text is 250,000 characters, over the 200,000 limit; split it into passages first"]


def test_passage_make_is_frozen():
    p = Passage.make("T", "body")
    with pytest.raises(AttributeError):
        p.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "content, message",
    [
        ('title,text\nA,"unclosed text\nB,second row\n', "c.csv:2: malformed CSV: a quote opened in this record is never closed"),
        ('title,text\nA,ok\nB,"unclosed\nC,"closed"\n', "c.csv:3: malformed CSV"),
        ('title,text\nA,"quoted" and then more\n', "c.csv:2: malformed CSV"),
    ],
    ids=["to-end-of-file", "into-a-later-quote", "text-after-closing-quote"],
)
def test_csv_quote_errors_name_the_line_where_the_record_starts(tmp_path, content, message):
    """Once a quote left open swallowed the rows after it into one passage, silently."""
    f = write(tmp_path / "c.csv", content)
    with pytest.raises(InputError, match=message):
        read_corpus([f])


def test_csv_quoted_newlines_and_line_numbers(tmp_path):
    f = write(tmp_path / "c.csv", 'title,text\nA,"two\nlines"\nB,after\n')
    assert [(p.title, p.text) for p in read_corpus([f]).passages] == [("A", "two\nlines"), ("B", "after")]
    extra = write(tmp_path / "extra.csv", 'title,text\nA,"two\nlines"\nB,an unquoted, comma\n')
    with pytest.raises(InputError, match=r"extra.csv:4: 3 fields, the header names 2"):
        read_corpus([extra])
