"""`hipporag-like query`: the passages that answer a question, with why each was chosen."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from .common import _check_index_path, _check_output, _print_json, guarded
from ..config import QUERY_LLM_CHOICES
from ..retrieval import MODES
from ..text import printable


@click.command()
@click.argument("question")
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(min=1), help="How many passages.")
@click.option("--mode", type=click.Choice(MODES), help="Retrieval mode (default: the index's, normally hybrid).")
@click.option("--json", "as_json", is_flag=True, help='Print {"query", "mode", "passages": [{"id", "title", "text", "score", "why"}], '
                   '"seed_phrases", "facts"} (and "notes" when an LLM step ran).')
@click.option("--explain", "explain_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write FILE.svg: why the top passage came back (question, facts, phrases, passage).")
@click.option("--fact-filter", type=click.Choice(QUERY_LLM_CHOICES),
              help="llm: the LLM keeps only the candidate facts that help (HippoRAG 2's recognition memory).")
@click.option("--decompose", type=click.Choice(QUERY_LLM_CHOICES),
              help="llm: with --mode hybrid-2hop, the LLM's single-fact steps steer the second hop.")
@click.option("--llm-base-url", help="OpenAI-compatible server for --fact-filter/--decompose (overrides [reader]).")
@click.option("--llm-model", help="Model for --fact-filter/--decompose (default: [reader]'s, else the index's extractor LLM).")
@guarded
def query(question: str, index_dir: Path, k: int, mode: str | None, as_json: bool, explain_file: Path | None = None,
          fact_filter: str | None = None, decompose: str | None = None, llm_base_url: str | None = None,
          llm_model: str | None = None) -> None:
    """Retrieve the passages that answer QUESTION, with why each was chosen.

    \b
    Example:
      hipporag-like query "In which country was the founder of the Kelpstone Institute born?" --index indexes/demo -k 5 --json
      hipporag-like query "..." --index indexes/demo --fact-filter llm --llm-base-url http://localhost:8000/v1 --llm-model M
    """
    from ..index import Index

    _check_index_path(index_dir)
    _check_output(explain_file, "--explain", index_dir=index_dir)
    with Index.open(index_dir, **_query_llm_overrides(index_dir, fact_filter, decompose, llm_base_url, llm_model)) as opened:
        result = opened.retrieve(question, k=k, mode=mode)
    if explain_file is not None and result.passages:
        from ..explain import explain_svg
        from ..outputs import write_text_replacing

        write_text_replacing(explain_file, explain_svg(result, 0))
    if as_json:
        _print_json(result.to_dict())
        return
    # Passage text comes from a corpus: no escape sequence or control character of it reaches the terminal.
    click.echo(printable(f"Q: {question}  [{result.mode}]"))
    for rank, hit in enumerate(result.passages, start=1):
        seeds = ", ".join(s.phrase for s in hit.why.seed_phrases[:4]) or "-"
        named = f"; named by: {', '.join(hit.why.named_by[:2])}" if hit.why.named_by else ""
        click.echo(printable(f"{rank}. {hit.title or hit.id}  (score {hit.score:.4g}; seeds: {seeds}{named})"))
        click.echo(printable(f"   {hit.text[:200]}{'...' if len(hit.text) > 200 else ''}"))
        if hit.source:
            click.echo(printable(f"   from {hit.source}" + (f" [{hit.span[0]}:{hit.span[1]}]" if hit.span else "")))
    for note in result.notes:
        click.echo(printable(f"note: {note}"))


def _query_llm_overrides(index_dir: Path, fact_filter: str | None, decompose: str | None, base_url: str | None,
                         model: str | None) -> dict[str, Any]:
    """Index.open keywords for the query-time LLM flags: the index's own [retrieval] and [reader]
    tables with the flags on top (nothing when no flag is given)."""
    if not any((fact_filter, decompose, base_url, model)):
        return {}
    from ..config import PipelineConfig
    from ..reader import reader_from_flags
    from ..store import read_manifest

    config = PipelineConfig.from_dict(read_manifest(index_dir)["config"])
    retrieval = replace(config.retrieval, **{key: value for key, value in (("fact_filter", fact_filter), ("decompose", decompose)) if value})
    return {"retrieval": retrieval, "reader": reader_from_flags(config.reader, base_url, model)}
