"""Cutting documents into passages: boundaries, overlap, the token limit, provenance, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hipporag_like.chunking import chunk_spans, content, fit_title
from hipporag_like.config import ChunkingConfig, PipelineConfig, load_pipeline
from hipporag_like.corpus import minilm_token_counter, passage_id, read_corpus
from hipporag_like.errors import InputError

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
LICENCES = Path("/usr/share/common-licenses")


def words(texts):
    """A stand-in tokenizer: one token per word, plus [CLS] and [SEP]."""
    return [len(t.split()) + 2 for t in texts]


def sentence(p: int, s: int) -> str:
    return f"P{p}S{s} w w w."  # four "tokens"


def test_a_text_that_fits_is_one_chunk_the_stripped_text():
    text = "\n  One short paragraph. Two sentences.\n\n"
    assert chunk_spans(text, "Title", 64, 8, words) == [(3, len(text) - 2)]
    assert chunk_spans("   \n ", "", 64, 8, words) == []


def test_chunks_end_at_paragraph_ends_and_overlap_only_inside_a_paragraph():
    # three paragraphs of three four-token sentences; 14 tokens fit next to [CLS] and [SEP]
    text = "\n\n".join(" ".join(sentence(p, s) for s in range(3)) for p in range(3))
    chunks = [text[a:b] for a, b in chunk_spans(text, "", 16, 4, words)]
    assert chunks == [
        "P0S0 w w w. P0S1 w w w. P0S2 w w w.",  # a whole paragraph: the next starts fresh, no overlap
        "P1S0 w w w. P1S1 w w w. P1S2 w w w.",
        "P2S0 w w w. P2S1 w w w. P2S2 w w w.",
    ]
    # a paragraph longer than a chunk: cut at a sentence end, the next chunk repeats the last sentence
    long = " ".join(sentence(0, s) for s in range(6))
    chunks = [long[a:b] for a, b in chunk_spans(long, "", 16, 4, words)]
    assert chunks == [
        "P0S0 w w w. P0S1 w w w. P0S2 w w w.",
        "P0S2 w w w. P0S3 w w w. P0S4 w w w.",
        "P0S4 w w w. P0S5 w w w.",
    ]
    # no overlap asked: none given
    assert [long[a:b] for a, b in chunk_spans(long, "", 16, 0, words)][1].startswith("P0S3")


def test_a_heading_starts_the_chunk_of_its_section():
    text = "A1 w w w. A2 w w w.\n\n2. Second section\n\nB1 w w w. B2 w w w."
    chunks = [text[a:b] for a, b in chunk_spans(text, "", 16, 4, words)]
    assert chunks == ["A1 w w w. A2 w w w.", "2. Second section\n\nB1 w w w. B2 w w w."]
    # a paragraph is never left ending in its own heading
    text = "A1 w w w. A2 w w w. A3 w w w.\n\nHeading\n\nB1 w w w. B2 w w w."
    assert [text[a:b] for a, b in chunk_spans(text, "", 16, 4, words)][0] == "A1 w w w. A2 w w w. A3 w w w."


def test_the_title_takes_its_share_of_the_window():
    long = " ".join(sentence(0, s) for s in range(6))
    for title in ("", "A title of five words"):
        for a, b in chunk_spans(long, title, 16, 4, words):
            assert words([content(title, long[a:b])])[0] <= 16
    assert len(chunk_spans(long, "A title of five words", 16, 0, words)) > len(chunk_spans(long, "", 16, 0, words))


def test_a_sentence_too_long_is_cut_at_lines_then_spaces_then_by_length():
    lines = "\n".join(f"line {i} has five words" for i in range(8))  # no sentence end at all
    spans = chunk_spans(lines, "", 14, 0, words)
    assert [lines[a:b] for a, b in spans][0] == "line 0 has five words\nline 1 has five words"
    run = "x" * 5000  # no space: cut by length, never a 5,000-character passage
    spans = chunk_spans(run, "", 16, 0, words)
    assert "".join(run[a:b] for a, b in spans) == run and max(b - a for a, b in spans) <= 16 * 12


def test_a_huge_title_is_shortened_for_chunks():
    title = " ".join(["word"] * 100)
    short = fit_title(title, 32, words)
    assert short.endswith("…") and words([short])[0] <= 8
    assert fit_title("Short title", 32, words) == "Short title"


def real_documents() -> list[tuple[str, str]]:
    """Long texts for the real tokenizer: the system's licences when present, and hard cases."""
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(LICENCES.glob("*")) if p.is_file() and p.stat().st_size > 5000][:4]
    docs.append(("generated", "\n\n".join(
        f"Section {i}. " + " ".join(f"The clause number {j} of section {i} binds every licensee, e.g. Mr. Smith, to it." for j in range(9))
        for i in range(12))))
    docs.append(("no punctuation", " ".join(f"token{i}" for i in range(4000))))
    docs.append(("hangul and accents", " ".join(["한국어 문장입니다 café naïve résumé"] * 600)))
    docs.append(("one long run", "y" * 30_000))
    return docs


@pytest.mark.parametrize("title", ["", "A document title", "한국어 제목 " * 40])
def test_no_chunk_is_over_the_limit_with_the_real_tokenizer(title):
    count = minilm_token_counter()
    for name, text in real_documents():
        for max_tokens in (256, 64):
            used = fit_title(title, max_tokens, count)
            spans = chunk_spans(text, used, max_tokens, max_tokens // 8, count)
            assert len(spans) > 1, name
            sizes = count([content(used, text[a:b]) for a, b in spans])
            assert max(sizes) <= max_tokens, (name, max_tokens, max(sizes))
            assert all(text[a:b] == text[a:b].strip() and text[a:b] for a, b in spans)
            # every character that is not white space lands in some chunk
            covered = set()
            for a, b in spans:
                covered.update(range(a, b))
            assert all(i in covered for i, c in enumerate(text) if not c.isspace()), name


def test_a_file_is_cut_with_provenance_and_spans_that_cut_back_out(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    body = "\n\n".join(f"Paragraph {i}. " + "It says something about rivers and mills. " * 12 for i in range(10))
    (folder / "rivers.txt").write_text("\n" + body + "\n", encoding="utf-8")
    (folder / "short.md").write_text("intro\n\n# Mill notes\n\nA short note.", encoding="utf-8")
    passages = read_corpus([folder]).passages
    long = [p for p in passages if p.title == "rivers"]
    text = (folder / "rivers.txt").read_text(encoding="utf-8")
    assert len(long) > 3 and [p.position for p in long] == list(range(len(long)))
    count = minilm_token_counter()
    for p in long:
        assert text[p.span[0]:p.span[1]] == p.text
        assert p.source == str((folder / "rivers.txt").resolve()) and p.doc_id == passage_id("rivers", body.strip())
        assert p.id == passage_id("rivers", p.text) and count([p.content])[0] <= 256
        assert p.metadata["path"] == p.source and p.metadata["mtime"].endswith("Z")
    (note,) = [p for p in passages if p.title == "Mill notes"]  # a Markdown file's title: its first heading
    assert note.position == 0 and note.span == (0, len(note.text)) and note.text.startswith("intro")


def test_records_keep_no_provenance_unless_cut_or_given_metadata(tmp_path):
    corpus = tmp_path / "c.jsonl"
    long = " ".join(f"Sentence {i} of a long record about the harbour." for i in range(120))  # ~1,400 tokens
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"title": "Short", "text": "A short record."},
        {"title": "Tagged", "text": "A record with metadata.", "metadata": {"lang": "en", "year": 1971}},
        {"title": "Long", "text": long},
    ]) + "\n", encoding="utf-8")
    short, tagged, *chunks = read_corpus([corpus]).passages
    assert short.provenance() == {} and short == read_corpus([corpus], chunking=ChunkingConfig(enabled=False)).passages[0]
    assert tagged.metadata == {"lang": "en", "year": 1971} and tagged.source == str(corpus.resolve()) and tagged.span == (0, len(tagged.text))
    assert len(chunks) > 1 and all(long[c.span[0]:c.span[1]] == c.text and c.title == "Long" for c in chunks)
    assert {c.doc_id for c in chunks} == {passage_id("Long", long)}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "metadata": [1]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r'bad.jsonl:1: field "metadata" must be an object, got list'):
        read_corpus([bad])


def test_a_repeated_chunk_is_kept_once_with_a_warning(tmp_path):
    block = " ".join(f"Boilerplate sentence number {i} repeated in the file." for i in range(40))
    f = tmp_path / "rep.txt"
    f.write_text(f"{block}\n\n{block}\n\nThe end.", encoding="utf-8")
    report = read_corpus([f])
    assert len({p.id for p in report.passages}) == len(report.passages)
    assert report.warnings and "repeats" in report.warnings[0] and "kept once" in report.warnings[0]


def test_a_huge_document_is_chunked_not_refused_and_over_the_document_limit_refused(tmp_path, monkeypatch):
    import hipporag_like.corpus as corpus

    f = tmp_path / "big.txt"
    f.write_text("".join(f"River {i:05} runs. " for i in range(20_000)), encoding="utf-8")  # 360,000 characters
    passages = read_corpus([f]).passages
    assert len(passages) > 100 and all(len(p.text) < 3000 for p in passages)
    monkeypatch.setattr(corpus, "MAX_DOCUMENT_CHARS", 100_000)
    with pytest.raises(InputError, match=r"big.txt: text is 359,999 characters, over the 100,000 limit for one document"):
        read_corpus([f])


@pytest.mark.parametrize("name", ["musique_100", "hotpotqa_100"])
def test_benchmark_corpora_are_not_cut(name):
    corpus = DATASETS / name / "corpus.json"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is not here")
    chunked = read_corpus([corpus]).passages
    whole = read_corpus([corpus], chunking=ChunkingConfig(enabled=False)).passages
    assert [(p.id, p.title, p.text) for p in chunked] == [(p.id, p.title, p.text) for p in whole]
    assert all(p.provenance() == {} for p in chunked)  # so their indexes are byte for byte the same
    # some of their paragraphs are longer than the 256-token window: records stay whole up to max_record_tokens
    assert max(minilm_token_counter()([p.content for p in whole])) > 256


def test_chunking_table_in_a_pipeline_file(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[chunking]\nmax_tokens = 128\noverlap_tokens = 16\n", encoding="utf-8")
    assert load_pipeline(f).chunking == ChunkingConfig(enabled=True, max_tokens=128, overlap_tokens=16)
    assert PipelineConfig.from_dict(PipelineConfig().to_dict()).chunking == ChunkingConfig()
    small = ChunkingConfig(max_tokens=40, max_record_tokens=20)  # the overlap and the record limit follow max_tokens
    assert (small.overlap, small.record_tokens) == (20, 40)
    for body, message in [
        ("[chunking]\nmax_tokens = 0\n", "max_tokens: must be positive"),
        ("[chunking]\nmax_tokens = 100000\n", "over the limit of 8192"),
        ("[chunking]\noverlap_tokens = -1\n", "must not be negative"),
        ("[chunking]\nmax_tokens = 8\n", "[chunking]: max_tokens must be at least 16, got 8"),
        ("[chunking]\nenabled = 1\n", "expected bool"),
        ("[chunking]\nwindow = 3\n", "unknown key 'window'"),
    ]:
        f.write_text(body, encoding="utf-8")
        with pytest.raises(InputError) as caught:
            load_pipeline(f)
        assert message in str(caught.value) and "p.toml" in str(caught.value)
