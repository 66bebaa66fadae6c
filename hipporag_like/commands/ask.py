"""`hipporag-like ask`: retrieve, then answer with the reader LLM, citing the passages used."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import _check_index_path, _check_output, _print_json, guarded
from ..reader.answer import MAX_STEPS
from ..retrieval import MODES
from ..text import printable


@click.command()
@click.argument("question")
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("-k", "k", type=click.IntRange(1, 100), help="Passages given to the reader (default: reader.k, 5).")
@click.option("--mode", type=click.Choice(MODES), help="Retrieval mode (default: the index's, normally hybrid).")
@click.option("--steps", type=click.IntRange(0, MAX_STEPS), default=0, show_default=True,
              help="IRCoT: up to N reasoning sentences, each followed by a retrieval for it (0: retrieve once).")
@click.option("--pipeline", type=click.Path(path_type=Path), help="Pipeline file whose [reader] table names the LLM "
              "(default: the index's own pipeline).")
@click.option("--llm-base-url", help="OpenAI-compatible server for the reader (vllm serve, Ollama, OpenAI). "
              "Put no key in it: keys come from the environment (reader.api_key_env).")
@click.option("--llm-model", help="Model name for the reader.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of LLM answers (default: user cache dir).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"query", "answer", "refused", "citations": [{"n", "id", "title", "sentence"}], '
                   '"dropped_citations", "mode", "passages", "reader": {"model", "cached", "backend", "calls"}, '
                   '"error"} (and "steps" with --steps).')
@guarded
def ask(question: str, index_dir: Path, k: int | None, mode: str | None, steps: int, pipeline: Path | None,
        llm_base_url: str | None, llm_model: str | None, cache_dir: Path | None, as_json: bool) -> None:
    """Answer QUESTION from the indexed passages, citing the ones the answer rests on.

    The reader LLM sees the retrieved passages numbered [1]..[k]; a cited number that is not
    among them is dropped (and counted), and an answer the model says it cannot give is shown
    as such. Answers are cached: the same question over the same passages is asked once. The
    answer is printed when complete (no streaming). Exit 2 if the model's reply held no answer.

    \b
    Example:
      hipporag-like ask "Who founded the publishing house that released The Salt Ledger?" --index indexes/demo \\
          --llm-base-url http://localhost:8000/v1 --llm-model Qwen/Qwen2.5-7B-Instruct --json
      hipporag-like ask "In which country was the founder of the Kelpstone Institute born?" --index indexes/demo --steps 3 \\
          --llm-base-url http://localhost:11434/v1 --llm-model llama3.1:8b
    """
    from ..index import Index
    from ..reader import resolve_reader

    _check_index_path(index_dir)
    _check_output(cache_dir, "--cache-dir", folder=True, index_dir=index_dir)
    reader = resolve_reader(pipeline, index_dir, llm_base_url, llm_model, "ask")  # before any model loads
    with Index.open(index_dir) as opened:
        result = opened.answer(question, k=k or reader.k, mode=mode, steps=steps, reader=reader, cache_dir=cache_dir)
    if as_json:
        _print_json(result.to_dict())
    else:
        _show(result)
    if result.error:
        click.echo(f"error: {printable(result.error)}", err=True)
        sys.exit(2)


def _show(result) -> None:  # type: ignore[no-untyped-def]
    """The answer and its sources; model and corpus text pass through `printable`."""
    click.echo(printable(f"Q: {result.query}  [{result.passages.mode}]"))
    for number, step in enumerate(result.steps, start=1):
        click.echo(printable(f"  step {number}: {step.thought}"))
    if result.refused:
        click.echo("A: (the reader found no answer in the passages)")
    elif result.answer is not None:
        click.echo(printable(f"A: {result.answer}"))
    for citation in result.citations:
        quote = f'  "{citation.sentence}"' if citation.sentence else ""
        click.echo(printable(f"  [{citation.n}] {citation.title or citation.id}{quote}"))
    if result.dropped_citations:
        click.echo(f"  ({result.dropped_citations} cited passage number(s) not among the {len(result.passages.passages)} given: dropped)")
    reader = result.reader
    click.echo(f"reader: {reader.backend} model '{reader.model}', {'cached' if reader.cached else f'{reader.calls} call(s)'}", err=True)
