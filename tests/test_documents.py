"""Documents: PDF and HTML fixtures made here, provenance through an index, and updates by source."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hipporag_like.cli import main
from hipporag_like.config import ChunkingConfig, PipelineConfig
from hipporag_like.corpus import read_corpus
from hipporag_like.errors import InputError, MissingExtraError


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(path: Path, pages: list[list[str] | None], title: str | None = None) -> Path:
    """A small valid PDF, written by hand: one Helvetica text line per string on each page;
    a page given as None has only a filled rectangle (no text layer, like a scan)."""
    objects: dict[int, str] = {1: "<< /Type /Catalog /Pages 2 0 R >>", 3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    kids, number = [], 4
    for lines in pages:
        if lines is None:
            stream = "0 0 1 rg 72 72 400 600 re f"
        else:
            stream = "BT /F1 11 Tf 14 TL 72 740 Td " + " T* ".join(f"{_pdf_string(line)} Tj" for line in lines) + " ET"
        objects[number] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                           f"/Contents {number + 1} 0 R >>")
        objects[number + 1] = f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"
        kids.append(f"{number} 0 R")
        number += 2
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    info = ""
    if title:
        objects[number] = f"<< /Title {_pdf_string(title)} >>"
        info = f" /Info {number} 0 R"
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for key in sorted(objects):
        offsets[key] = len(out)
        out += f"{key} 0 obj\n{objects[key]}\nendobj\n".encode("latin-1")
    xref = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for key in range(1, size):
        out += f"{offsets[key]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def long_lines(topic: str, count: int) -> list[str]:
    return [f"Line {i} of the {topic} manual explains how the {topic} valve is set." for i in range(count)]


def test_pdf_text_pages_and_title(tmp_path):
    pdf = make_pdf(tmp_path / "manual.pdf", [long_lines("boiler", 30), None, long_lines("pump", 30)], title="Plant Manual")
    report = read_corpus([pdf], chunking=ChunkingConfig(max_tokens=128, overlap_tokens=16))
    passages = report.passages
    assert len(passages) > 2 and {p.title for p in passages} == {"Plant Manual"} and not report.warnings
    first, last = passages[0], passages[-1]
    assert "Line 0 of the boiler manual" in first.text and first.metadata["pages"] == [1, 1]
    assert "Line 29 of the pump manual" in last.text and last.metadata["pages"][1] == 3  # the blank page 2 still counts
    assert all(p.metadata["path"] == str(pdf.resolve()) for p in passages)
    assert any(p.metadata["pages"] == [1, 3] for p in passages) or all(p.metadata["pages"][0] == p.metadata["pages"][1] for p in passages)
    # spans index the extracted text: consecutive chunks never go backwards and never leave a gap of text
    spans = [p.span for p in passages]
    assert all(a[0] < b[0] and b[0] <= a[1] + 2 for a, b in zip(spans, spans[1:]))


def test_a_pdf_without_text_layer_is_a_warning_not_a_crash(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "scan.pdf", [None, None])
    (folder / "note.txt").write_text("A note about the scanner.", encoding="utf-8")
    report = read_corpus([folder])
    assert [p.title for p in report.passages] == ["note"]
    assert report.warnings == [f"{folder / 'scan.pdf'}: no text layer in its 2 pages (a scanned PDF?); skipped"]
    with pytest.raises(InputError, match=r"scan.pdf: the corpus holds no passages \(.*no text layer"):
        read_corpus([folder / "scan.pdf"])
    result = CliRunner().invoke(main, ["index", str(folder), "--index", str(tmp_path / "idx"), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == report.warnings


def test_a_damaged_pdf_is_a_bad_record(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    with pytest.raises(InputError, match=r"broken.pdf: not a readable PDF"):
        read_corpus([bad])
    good = tmp_path / "good.txt"
    good.write_text("Fine.", encoding="utf-8")
    report = read_corpus([bad, good], skip_bad=True)
    assert len(report.skipped) == 1 and [p.text for p in report.passages] == ["Fine."]


HTML = """<!doctype html>
<html><head><title>  The Ostrel
   River Guide </title><style>body { color: red }</style><script>var tracking = "no";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/maps">Maps</a></nav>
<main>
  <h1>Ostrel River</h1>
  <p>The Ostrel rises in the <b>Carn hills</b>
     and flows west.</p>
  <!-- an editor's comment -->
  <ul><li>Length: 212 km</li><li>Mouth: Alder Quay</li></ul>
  <pre>  kept   as
  written</pre>
</main>
<footer>Copyright the river society</footer>
</body></html>"""


def test_html_main_text_and_title(tmp_path):
    page = tmp_path / "river.html"
    page.write_text(HTML, encoding="utf-8")
    (passage,) = read_corpus([page]).passages
    assert passage.title == "The Ostrel River Guide"
    assert passage.text == ("Ostrel River\n\nThe Ostrel rises in the Carn hills and flows west.\n\nLength: 212 km\n\n"
                            "Mouth: Alder Quay\n\nkept   as\n  written")
    for gone in ("tracking", "color", "Home", "editor", "Copyright"):
        assert gone not in passage.text
    assert passage.source == str(page.resolve()) and passage.span == (0, len(passage.text))
    bare = tmp_path / "bare.htm"
    bare.write_text("<p>No title here, <i>only</i> a paragraph.</p>", encoding="utf-8")
    (untitled,) = read_corpus([bare]).passages
    assert (untitled.title, untitled.text) == ("bare", "No title here, only a paragraph.")


def test_missing_extra_is_a_clear_error(tmp_path, monkeypatch):
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    pdf = make_pdf(tmp_path / "p.pdf", [["x"]])
    monkeypatch.setitem(sys.modules, "bs4", None)
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(MissingExtraError, match=r"'beautifulsoup4' package is not installed.*pip install '\.\[docs\]'"):
        read_corpus([page])
    with pytest.raises(MissingExtraError, match=r"'pypdf' package is not installed.*pip install '\.\[docs\]'"):
        read_corpus([pdf])


ANIMALS = ("bees", "goats", "geese", "swans", "ferrets", "pigeons", "otters", "llamas")


def paragraphs(topic: str, count: int, edited: int | None = None) -> str:
    parts = []
    for i in range(count):
        verb = "was rebuilt in 1999" if i == edited else "stands on the river"
        parts.append(f"The {topic} mill number {i} {verb}. Its wheel turns slowly. The miller of {topic} {i} keeps {ANIMALS[i]}.")
    return "\n\n".join(parts)


@pytest.fixture(scope="module")
def docs_index(tmp_path_factory):
    """Three documents cut small (64 tokens) and indexed from the command line."""
    root = tmp_path_factory.mktemp("docs")
    folder = root / "docs"
    folder.mkdir()
    (folder / "alder.txt").write_text(paragraphs("Alder", 6), encoding="utf-8")
    (folder / "brim.md").write_text("# Brimwell\n\n" + paragraphs("Brimwell", 4), encoding="utf-8")
    (folder / "carn.html").write_text(f"<title>Carn</title><p>{paragraphs('Carn', 3)}</p>", encoding="utf-8")
    index = root / "idx"
    built = CliRunner().invoke(main, ["index", str(folder), "--index", str(index), "--chunk-tokens", "64", "--json", "--quiet"])
    assert built.exit_code == 0, built.output
    return folder, index


def copy_of(docs_index, tmp_path):
    folder, index = docs_index
    shutil.copytree(folder, tmp_path / "docs")
    shutil.copytree(index, tmp_path / "idx")
    return tmp_path / "docs", tmp_path / "idx"


def by_source(index_dir: Path) -> dict[str, list[str]]:
    from hipporag_like import Index

    with Index.open(index_dir) as opened:
        return {s: opened.passage_ids_by_source(s) for s in opened.indexed_sources()}


def test_query_returns_source_and_span_of_the_chunk(docs_index):
    folder, index = docs_index
    result = CliRunner().invoke(main, ["query", "Which Brimwell miller keeps swans?", "--index", str(index), "-k", "3", "--mode", "bm25", "--json"])
    assert result.exit_code == 0, result.output
    top = json.loads(result.stdout)["passages"][0]
    assert top["title"] == "Brimwell" and "keeps swans" in top["text"]
    source = Path(top["source"])
    assert source == (folder / "brim.md").resolve()
    assert source.read_text(encoding="utf-8")[top["span"][0]:top["span"][1]] == top["text"]
    assert top["metadata"]["path"] == str(source)


def test_replace_source_after_editing_one_file_changes_only_its_chunks(docs_index, tmp_path):
    folder, index = copy_of(docs_index, tmp_path)
    before = by_source(index)
    alder, brim, carn = (str((folder / name).resolve()) for name in ("alder.txt", "brim.md", "carn.html"))
    # sources were recorded under the fixture's folder: bring them here, as a moved folder would be re-indexed
    assert {Path(s).name for s in before} == {"alder.txt", "brim.md", "carn.html"}
    first = CliRunner().invoke(main, ["insert", str(folder), "--index", str(index), "--replace-source", "--json", "--quiet"])
    assert first.exit_code == 0, first.output
    moved = by_source(index)
    assert set(moved) >= {alder, brim, carn}

    unchanged = CliRunner().invoke(main, ["insert", str(folder), "--index", str(index), "--replace-source", "--json", "--quiet"])
    assert json.loads(unchanged.stdout)["changed"] is False  # nothing edited: nothing to do

    (folder / "alder.txt").write_text(paragraphs("Alder", 6, edited=4), encoding="utf-8")
    edited = CliRunner().invoke(main, ["insert", str(folder), "--index", str(index), "--replace-source", "--json", "--quiet"])
    assert edited.exit_code == 0, edited.output
    report = json.loads(edited.stdout)
    after = by_source(index)
    assert after[brim] == moved[brim] and after[carn] == moved[carn]  # the other documents' chunks are untouched
    assert report["removed"] == len(moved[alder]) and report["added"] == len(after[alder])
    assert set(after[alder]) != set(moved[alder]) and len(set(after[alder]) & set(moved[alder])) >= 1  # unedited chunks keep their ids
    from hipporag_like import Index

    with Index.open(index) as opened:
        text = (folder / "alder.txt").read_text(encoding="utf-8")
        hits = opened.retrieve("Which Alder mill was rebuilt in 1999?", k=3).passages
        hit = next(h for h in hits if "rebuilt in 1999" in h.text)
        assert hit.source == alder and text[hit.span[0]:hit.span[1]] == hit.text
        # every chunk of the edited file carries spans of its new text
        rows = [opened.version.line("passages", int(r)) for r in range(opened.version.tables.n_passages) if opened.version.tables.passage_live[r]]
        assert all(text[r["span"][0]:r["span"][1]] == r["text"] for r in rows if r.get("source") == alder)

    (folder / "carn.html").unlink()  # a file gone from the folder: its chunks go too
    gone = CliRunner().invoke(main, ["insert", str(folder), "--index", str(index), "--replace-source", "--json", "--quiet"])
    assert gone.exit_code == 0, gone.output
    assert json.loads(gone.stdout)["removed"] == len(moved[carn]) and carn not in by_source(index)


def test_index_sync_and_delete_by_source(docs_index, tmp_path):
    from hipporag_like import Index

    folder, index = copy_of(docs_index, tmp_path)
    with Index.open(index) as opened:
        opened.sync([folder])
        assert opened.config.chunking == ChunkingConfig(max_tokens=64, max_record_tokens=1024)
        brim = str((folder / "brim.md").resolve())
        chunks = opened.passage_ids_by_source(brim)
        (folder / "brim.md").write_text("# Brimwell\n\nOnly one short paragraph now.", encoding="utf-8")
        summary = opened.sync([folder / "brim.md"])
        assert summary.removed == chunks and len(summary.added) == 1
        assert opened.sync([folder]).changed is False
    alder = by_source(index)[str((folder / "alder.txt").resolve())]
    with (folder / "alder.txt").open("ab") as out:
        out.write(b"\xff")  # no longer readable: its indexed chunks are still found by provenance
    deleted = CliRunner().invoke(main, ["delete", "--index", str(index), "--source", str(folder / "alder.txt"), "--json", "--quiet"])
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout)["removed"] == len(alder)
    assert str((folder / "alder.txt").resolve()) not in by_source(index)
    (folder / "brim.md").unlink()  # a file that is gone can still be deleted by its provenance
    gone = CliRunner().invoke(main, ["delete", "--index", str(index), "--source", str(folder / "brim.md"), "--json", "--quiet"])
    assert gone.exit_code == 0, gone.output
    assert json.loads(gone.stdout)["removed"] == 1
    again = CliRunner().invoke(main, ["delete", "--index", str(index), "--source", str(folder / "brim.md")])
    assert again.exit_code == 2 and "no such file, and no passage from it is in the index" in again.output
    with pytest.raises(InputError, match="no such file or folder, and nothing indexed came from it"):
        with Index.open(index) as opened:
            opened.sync([folder / "never.txt"])


def test_chunk_tokens_flag_and_pipeline(tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text(paragraphs("Quay", 8), encoding="utf-8")
    config = PipelineConfig()
    assert config.chunking.enabled and config.chunking.max_tokens == 256
    whole = CliRunner().invoke(main, ["index", str(doc), "--index", str(tmp_path / "a"), "--chunk-tokens", "0", "--dry-run", "--json"])
    cut = CliRunner().invoke(main, ["index", str(doc), "--index", str(tmp_path / "a"), "--chunk-tokens", "64", "--dry-run", "--json"])
    assert json.loads(whole.stdout)["passages"] == 1 and json.loads(cut.stdout)["passages"] > 3
    small = CliRunner().invoke(main, ["index", str(doc), "--index", str(tmp_path / "a"), "--chunk-tokens", "40", "--dry-run", "--json"])
    assert small.exit_code == 0, small.output  # the default overlap (32) shrinks to half of 40
    assert json.loads(small.stdout)["passages"] > json.loads(cut.stdout)["passages"]
