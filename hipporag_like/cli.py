"""The `hipporag-like` command line: a thin layer over the library.

Exit codes: 0 success, 2 bad usage or input (a one-line message on stderr), 1 internal failure.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import click

from .config import EXTRACTOR_KINDS, LLM_KINDS, QUERY_LLM_CHOICES, PipelineConfig, RetrievalConfig, load_pipeline
from .errors import HippoError
from .progress import Progress
from .retrieval import MODES
from .commands.common import (OneLineErrors, _check_index_path, _check_output, _fail, _print_json, asked_for_json, guarded,
                              print_json_error)
from .text import printable
from .urls import redact_url

DEFAULT_INDEX_ROOT = Path("indexes")


def _price(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A price per million tokens: a finite number, not negative (click's range lets NaN pass)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"{value} is not a price (a finite number, 0 or more)")
    return value


def _pipeline_from_flags(pipeline: Path | None, *, openie_file: Path | None = None, extractor: str | None = None,
                         qdrant_url: str | None = None, llm_base_url: str | None = None, llm_model: str | None = None) -> PipelineConfig:
    """The pipeline file (or the defaults) with the command-line flags on top. Flags that the
    chosen extractor would ignore are usage errors, so that nothing given is silently dropped."""
    from .policies import extraction_config

    config = load_pipeline(pipeline) if pipeline else PipelineConfig()
    config = extraction_config(config, openie_file=openie_file, kind=extractor, base_url=llm_base_url, model=llm_model)
    if qdrant_url:
        config = config.with_overrides("vectors", kind="qdrant", url=qdrant_url)
    return config


def _with_chunk_tokens(config: PipelineConfig, chunk_tokens: int | None) -> PipelineConfig:
    """--chunk-tokens N: cut documents into chunks of at most N tokens (0: keep every one whole)."""
    if chunk_tokens is None:
        return config
    try:
        return config.with_overrides("chunking", enabled=chunk_tokens > 0, max_tokens=chunk_tokens or None)
    except HippoError as exc:
        raise HippoError(f"--chunk-tokens {chunk_tokens}: {exc}") from None


CHUNK_TOKENS_HELP = "Cut documents longer than N embedder tokens into passages (default: [chunking], 256); 0 keeps each whole."


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="hipporag-like")
def main() -> None:
    """Multi-hop retrieval over a knowledge graph with Personalized PageRank.

    \b
    Example:
      hipporag-like index examples/demo/corpus.json --index indexes/demo
      hipporag-like query "Who founded the publishing house that released The Salt Ledger?" --index indexes/demo
    """


@main.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to write (replaced atomically).")
@click.option("--pipeline", type=click.Path(path_type=Path), help="Pipeline file (TOML); see pipelines/.")
@click.option("--extractor", type=click.Choice(EXTRACTOR_KINDS), help="Extraction backend (overrides the pipeline).")
@click.option("--openie", "openie_file", type=click.Path(path_type=Path), help="Reuse a HippoRAG OpenIE result file (implies --extractor openie).")
@click.option("--llm-base-url", help="OpenAI-compatible server for --extractor openai (vllm serve, Ollama, OpenAI). "
              "Put no key in it: keys come from the environment (extractor.api_key_env).")
@click.option("--llm-model", help="Model name for the LLM extractor.")
@click.option("--dry-run", is_flag=True, help="Count passages and estimate LLM tokens (and cost); call nothing, write nothing.")
@click.option("--price-in", type=float, callback=_price, help="With --dry-run: price per million input tokens.")
@click.option("--price-out", type=float, callback=_price, help="With --dry-run: price per million output tokens.")
@click.option("--max-tokens-budget", type=click.IntRange(min=1), help="Stop (resumably) once the LLM has used this many tokens.")
@click.option("--retry-failed", is_flag=True, help="Ask the LLM again for passages quarantined by an earlier run.")
@click.option("--allow-failed", is_flag=True, help="Exit 0 even if some passages failed extraction (they are indexed without facts).")
@click.option("--qdrant-url", help="Store vectors on a Qdrant server instead of the embedded Qdrant Edge.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings (default: user cache dir).")
@click.option("--skip-bad", is_flag=True, help="Skip (and count) malformed corpus records instead of stopping.")
@click.option("--chunk-tokens", type=click.IntRange(min=0), help=CHUNK_TOKENS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars or notes.")
@guarded
def index(corpus: tuple[Path, ...], index_dir: Path, pipeline: Path | None, extractor: str | None, openie_file: Path | None,
          llm_base_url: str | None, llm_model: str | None, dry_run: bool, price_in: float | None, price_out: float | None,
          max_tokens_budget: int | None, retry_failed: bool, allow_failed: bool, qdrant_url: str | None,
          cache_dir: Path | None, skip_bad: bool, chunk_tokens: int | None, as_json: bool, quiet: bool) -> None:
    """Build an index from CORPUS files or folders (.json, .jsonl, .csv, .txt/.md, .pdf, .html).

    Documents longer than the embedder's window are cut into passages on paragraph and
    sentence ends; each keeps its source, span and metadata (see --chunk-tokens).

    Passages whose extraction fails (an LLM that times out or answers nonsense) are indexed
    without facts and the index is committed, but the command exits 2 naming how many,
    unless --allow-failed is given. Every LLM answer received is cached, so a rerun asks only
    for what is missing (quarantined passages: with --retry-failed).

    \b
    Example:
      hipporag-like index examples/demo/corpus.json --index indexes/demo
      hipporag-like index corpus.json --index indexes/m --openie openie.json --json
      hipporag-like index corpus.json --index indexes/v --pipeline pipelines/vllm-serve.toml --dry-run
      hipporag-like index ~/notes --index indexes/notes --chunk-tokens 200
    """
    from .corpus import read_corpus
    from .policies import reading_chunking

    if not dry_run and (price_in is not None or price_out is not None):
        raise click.UsageError("--price-in and --price-out price a --dry-run; give them with it")
    config = _with_chunk_tokens(_pipeline_from_flags(pipeline, openie_file=openie_file, extractor=extractor, qdrant_url=qdrant_url,
                                                     llm_base_url=llm_base_url, llm_model=llm_model), chunk_tokens)
    _check_index_path(index_dir)
    _check_output(cache_dir, "--cache-dir", folder=True, index_dir=index_dir)
    started = time.monotonic()
    report = read_corpus(corpus, skip_bad=skip_bad, chunking=reading_chunking(config))
    if dry_run:
        _dry_run(report.passages, config, cache_dir, price_in, price_out, retry_failed, as_json)
        return
    summary, failed = _build(report.passages, index_dir, config, cache_dir, retry_failed, max_tokens_budget, quiet, as_json)
    summary = {"index": str(index_dir), "seconds": round(time.monotonic() - started, 2), "skipped": report.skipped,
               "warnings": report.warnings, **summary}
    _build_report(summary, index_dir, report.skipped, as_json)
    _settle_failures(failed, allow_failed, "rerun with --retry-failed")


def _build(passages: list, index_dir: Path, config: PipelineConfig, cache_dir: Path | None, retry_failed: bool,
           max_tokens_budget: int | None, quiet: bool, as_json: bool) -> tuple[dict[str, Any], list]:
    """Build and commit the index; its stats, and the passages whose extraction failed."""
    from .cache import KeyValueCache, default_cache_dir
    from .extraction.base import FailureLog
    from .extraction.factory import make_extractor
    from .index import Index
    from .policies import failed_passages

    if config.extractor.kind not in LLM_KINDS:
        with Index.build(passages, index_dir, config, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json)) as built:
            return {**built.stats(), "failed": []}, []  # spaCy and OpenIE files fail loudly or not at all
    from .extraction.llm_extractor import quarantined_for_config

    if not quiet:
        _llm_note(config, len(passages))
    cache = KeyValueCache(cache_dir or default_cache_dir())
    try:
        chosen = FailureLog(make_extractor(config.extractor, cache=cache, retry_failed=retry_failed, max_tokens_budget=max_tokens_budget))
        with Index.build(passages, index_dir, config, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json), extractor=chosen) as built:
            summary = built.stats()
        ours = {p.id for p in passages}  # the shared cache may hold other corpora's quarantine
        summary["quarantined"] = [r.to_dict() for r in quarantined_for_config(config.extractor, cache) if r.passage_id in ours]
    finally:
        cache.close()
    failed = failed_passages(chosen.failed, passages)
    summary["failed"] = [f.to_dict() for f in failed]
    return summary, failed


def _llm_note(config: PipelineConfig, passages: int) -> None:
    """Before the first LLM call: where it goes, and how long one request may take at most."""
    llm = config.extractor
    model = llm.llm_model()  # before the note, which would name model 'None'
    where = f" at {redact_url(llm.base_url)}" if llm.kind == "openai" else ""
    click.echo(f"extracting {passages} passages with {llm.kind} model '{model}'{where}; each request waits at most "
               f"{llm.timeout_s:g} s and is retried up to {llm.max_retries} times", err=True)


def _build_report(summary: dict[str, Any], index_dir: Path, skipped: list[str], as_json: bool) -> None:
    if as_json:
        _print_json(summary)
        return
    edges = summary["edges"]
    click.echo(
        f"indexed {summary['passages']} passages into {index_dir}: {summary['phrases']} phrases, {summary['facts']} facts, "
        f"{sum(edges.values())} edges, in {summary['seconds']} s"
    )
    if skipped:
        click.echo(f"skipped {len(skipped)} bad records (first: {skipped[0]})", err=True)
    for warning in summary.get("warnings", []):
        click.echo(printable(f"warning: {warning}"), err=True)
    for record in summary.get("quarantined", []):
        click.echo(printable(f"quarantined: {record['title'] or record['passage_id']} ({record['step']}): {record['error']}"), err=True)


def _settle_failures(failed: Sequence[Any], allow_failed: bool, retry_hint: str, shown: int = 20) -> None:
    """List the passages whose extraction failed on stderr; exit 2 unless the user accepts them."""
    from .policies import failure_message

    if not failed:
        return
    for record in failed[:shown]:
        click.echo(printable(f"failed extraction: {record.title or record.passage_id} [{record.passage_id}]: {record.error}"), err=True)
    if len(failed) > shown:
        click.echo(f"... and {len(failed) - shown} more", err=True)
    if not allow_failed:
        _fail(failure_message(len(failed), retry_hint), as_json=False)  # --json's summary, printed, lists them


def _dry_run(passages: list, config: PipelineConfig, cache_dir: Path | None, price_in: float | None, price_out: float | None,
             retry_failed: bool, as_json: bool) -> None:
    """Estimate what extraction would still cost; no LLM call, nothing written."""
    from .cache import KeyValueCache, default_cache_dir

    if config.extractor.kind not in LLM_KINDS:
        data = {"passages": len(passages), "extractor": config.extractor.kind, "llm_calls": 0}
        _print_json(data) if as_json else click.echo(f"{len(passages)} passages; extractor '{config.extractor.kind}' makes no LLM calls")
        return
    from .extraction.llm_extractor import estimate_for_config

    cache = KeyValueCache(cache_dir or default_cache_dir())
    try:
        estimate = estimate_for_config(passages, config.extractor, cache, price_in_per_million=price_in,
                                       price_out_per_million=price_out, retry_failed=retry_failed)
    finally:
        cache.close()
    if as_json:
        _print_json({key: getattr(estimate, key) for key in ("passages", "already_done", "requests", "input_tokens", "output_tokens", "cost", "tokenizer")})
    else:
        click.echo("\n".join(estimate.lines()))


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable counts.")
@guarded
def stats(index_dir: Path, as_json: bool) -> None:
    """Show what an index holds: passages, phrases, facts, edges by kind.

    \b
    Example:
      hipporag-like stats --index indexes/demo --json
    """
    from .index import Index

    _check_index_path(index_dir)
    with Index.open(index_dir) as opened:
        data = {"index": str(index_dir), **opened.stats()}
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        click.echo(f"{key:>16}: {value}")


def _change_report(summary: Any, index_dir: Path, seconds: float, as_json: bool, failed: Sequence[Any] = (),
                   warnings: Sequence[str] = ()) -> None:
    data = {
        "index": str(index_dir),
        "added": len(summary.added),
        "removed": len(summary.removed),
        "already_present": summary.already_present,
        "changed": summary.changed,
        "seconds": round(seconds, 2),
        "quarantined": [e.passage_id for e in summary.failed],
        "failed": [f.to_dict() for f in failed],
        "counts": summary.manifest.get("counts", {}),
        "warnings": list(warnings),
    }
    if as_json:
        _print_json(data)
        return
    for warning in warnings:
        click.echo(f"warning: {printable(warning)}", err=True)
    if not summary.changed:
        why = f"{summary.already_present} passages already indexed" if summary.already_present else "its documents are up to date"
        click.echo(f"nothing to change in {index_dir} ({why})")
    else:
        click.echo(f"{index_dir}: added {data['added']}, removed {data['removed']} passages in {data['seconds']} s; "
                   f"now {data['counts'].get('passages')} passages, {data['counts'].get('facts')} facts")


@main.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to change.")
@click.option("--replace-same-title", is_flag=True, help="A passage whose title matches one indexed passage with other text replaces it (an update).")
@click.option("--replace-source", is_flag=True, help="Bring documents up to date by file: every chunk of a changed file is replaced, "
              "those of files gone from the given folders removed; unchanged files cost nothing.")
@click.option("--chunk-tokens", type=click.IntRange(min=0), help=CHUNK_TOKENS_HELP.replace("[chunking]", "the index's [chunking]"))
@click.option("--openie", "openie_file", type=click.Path(path_type=Path), help="Take the new passages' triples from this HippoRAG OpenIE file.")
@click.option("--extractor", type=click.Choice(EXTRACTOR_KINDS), help="Extraction backend for the new passages (default: the index's).")
@click.option("--llm-base-url", help="OpenAI-compatible server for --extractor openai.")
@click.option("--llm-model", help="Model name for the LLM extractor.")
@click.option("--allow-failed", is_flag=True, help="Exit 0 even if some passages failed extraction (they are indexed without facts).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings.")
@click.option("--skip-bad", is_flag=True, help="Skip (and count) malformed corpus records instead of stopping.")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Seconds to wait while another process writes the index (a server, another command); 0 fails at once.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def insert(corpus: tuple[Path, ...], index_dir: Path, replace_same_title: bool, replace_source: bool, chunk_tokens: int | None,
           openie_file: Path | None, extractor: str | None, llm_base_url: str | None, llm_model: str | None, allow_failed: bool,
           cache_dir: Path | None, skip_bad: bool, lock_wait: float, as_json: bool, quiet: bool) -> None:
    """Add new passages to an index in one transaction; only they are extracted and embedded.

    Passages whose extraction fails are added without facts (the change is committed) and the
    command exits 2 naming how many, unless --allow-failed is given.

    \b
    Example:
      hipporag-like insert more.jsonl --index indexes/demo
      hipporag-like insert edited.json --index indexes/demo --replace-same-title --json
      hipporag-like insert new.json --index indexes/m --openie new_openie.json
      hipporag-like insert ~/notes --index indexes/notes --replace-source
      hipporag-like insert more.jsonl --index indexes/demo --wait 60      # while `serve` may be writing
    """
    from .index import Index
    from .policies import extraction_config, failed_passages, insert_extractor, plan_insert, reading_chunking

    if replace_same_title and replace_source:
        raise click.UsageError("give '--replace-same-title' or '--replace-source', not both")
    _check_index_path(index_dir)
    _check_output(cache_dir, "--cache-dir", folder=True, index_dir=index_dir)
    started = time.monotonic()
    with Index.open(index_dir) as opened:
        config = extraction_config(_with_chunk_tokens(opened.config, chunk_tokens), openie_file=openie_file, kind=extractor,
                                   base_url=llm_base_url, model=llm_model)
        passages, remove, warnings = plan_insert(opened, corpus, reading_chunking(config), skip_bad=skip_bad,
                                       replace_same_title=replace_same_title, replace_source=replace_source)
        chosen = insert_extractor(config, cache_dir, changed=config.extractor != opened.config.extractor)
        summary = opened.apply(add=passages, remove=remove, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json), extractor=chosen,
                               lock_wait=lock_wait)
    failed = failed_passages({e.passage_id: e.error or "failed" for e in summary.failed}, passages)
    _change_report(summary, index_dir, time.monotonic() - started, as_json, failed, warnings)
    _settle_failures(failed, allow_failed, "they are indexed without facts: delete them and insert them again to retry")


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to change.")
@click.option("--id", "ids", multiple=True, help="Passage id to delete (repeatable).")
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Delete every indexed passage of this corpus file (repeatable; not with --id).")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Seconds to wait while another process writes the index (a server, another command); 0 fails at once.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def delete(index_dir: Path, ids: tuple[str, ...], sources: tuple[Path, ...], lock_wait: float, as_json: bool, quiet: bool) -> None:
    """Delete passages, and the facts, phrases, edges and vectors only they supported.

    --source removes every passage whose provenance names the file (all chunks of a document,
    even when the file is gone) and its passages as read now. An --id that is not in the
    index, or a --source none of whose passages is, is an error.

    \b
    Example:
      hipporag-like delete --index indexes/demo --id e2ff47fb7ce08af5
      hipporag-like delete --index indexes/demo --source old.jsonl --json
    """
    from .index import Index
    from .policies import ids_for_sources, passages_of_sources

    if bool(ids) == bool(sources):
        raise click.UsageError("give '--id' or '--source' (one of them, not both)")
    _check_index_path(index_dir)
    started = time.monotonic()
    with Index.open(index_dir) as opened:
        wanted = ids_for_sources(opened, passages_of_sources(sources, opened.config.chunking)) if sources else list(dict.fromkeys(ids))
        summary = opened.delete(wanted, progress=Progress.for_terminal(quiet or as_json), lock_wait=lock_wait)
    _change_report(summary, index_dir, time.monotonic() - started, as_json)


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help='Print {"index", "version", "ok", "files_checked", "segments", "vectors"}.')
@guarded
def verify(index_dir: Path, as_json: bool) -> None:
    """Check every byte of an index against its manifest, its arrays' shapes and ranges, and that
    the vector store holds every point. Exit 2 naming the damaged part.

    \b
    Example:
      hipporag-like verify --index indexes/demo --json
    """
    from .index import Index

    _check_index_path(index_dir)
    with Index.open(index_dir) as opened:
        report = opened.verify()
    _print_json(report) if as_json else click.echo(f"{index_dir}: {report['version']} is intact ({report['files_checked']} files, {report['segments']} segments)")


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to compact.")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Seconds to wait while another process writes the index (a server, another command); 0 fails at once.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def compact(index_dir: Path, lock_wait: float, as_json: bool, quiet: bool) -> None:
    """Fold every segment into one and drop deleted rows, in one transaction (writes do this by
    themselves past 12 segments or 30% dead rows). Answers do not change.

    \b
    Example:
      hipporag-like compact --index indexes/demo --json
    """
    from .index import Index

    _check_index_path(index_dir)
    started = time.monotonic()
    with Index.open(index_dir) as opened:
        summary = opened.compact(progress=Progress.for_terminal(quiet or as_json), lock_wait=lock_wait)
    _change_report(summary, index_dir, time.monotonic() - started, as_json)


def _parse_ks(text: str) -> list[int]:
    from .evaluation.metrics import RECALL_KS

    try:
        ks = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got '{text}'") from None
    bad = [k for k in ks if k not in RECALL_KS]
    if not ks or bad:
        raise click.BadParameter(f"k must be among {', '.join(map(str, RECALL_KS))}")
    return ks


@main.command("eval")
@click.argument("dataset_dir", type=click.Path(path_type=Path))
@click.option("--openie", "openie_file", type=click.Path(path_type=Path), help="Use the triples of a HippoRAG OpenIE file.")
@click.option("--pipeline", type=click.Path(path_type=Path), help="Pipeline file (TOML).")
@click.option("--mode", "modes", multiple=True, type=click.Choice(MODES), help="Mode to run (repeatable; default: all).")
@click.option("--k", "ks", default="2,5,10", show_default=True, callback=lambda ctx, param, value: _parse_ks(value),
              help="Recall cut-offs shown in the table.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path),
              help="Index folder (default: indexes/DATASET-EXTRACTOR); reused when it matches, rebuilt when only the pipeline differs.")
@click.option("--rebuild", "replace_other_corpus", is_flag=True, help="Replace the --index folder even when it holds another corpus.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings.")
@click.option("--out", type=click.Path(path_type=Path), help="Write results.json, results.md and recall.png here.")
@click.option("--qa", is_flag=True, help="Also answer every question with the reader LLM and score answer EM and F1.")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path), help="With --qa: write each answer, its citations and scores (JSON Lines).")
@click.option("--steps", type=click.IntRange(0, 20), default=0, help="With --qa: answer through IRCoT with up to N reasoning steps.")
@click.option("--fact-filter", type=click.Choice(QUERY_LLM_CHOICES), help="llm: the LLM fact filter before each walk (HippoRAG 2's recognition memory).")
@click.option("--decompose", type=click.Choice(QUERY_LLM_CHOICES), help="llm: LLM question decomposition steers hybrid-2hop's second hop.")
@click.option("--llm-base-url", help="With --qa, --fact-filter or --decompose: OpenAI-compatible server of the reader (overrides [reader]).")
@click.option("--llm-model", help="With --qa, --fact-filter or --decompose: the reader's model name (overrides [reader]).")
@click.option("--failures", "failures_path", type=click.Path(path_type=Path),
              help="Write every question with a gold passage outside the top 10 (gold ranks, seeds, facts) as JSON Lines.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def eval_command(dataset_dir: Path, openie_file: Path | None, pipeline: Path | None, modes: tuple[str, ...], ks: list[int],
                 index_dir: Path | None, cache_dir: Path | None, out: Path | None, qa: bool, answers_path: Path | None, steps: int,
                 llm_base_url: str | None, llm_model: str | None, failures_path: Path | None, as_json: bool, quiet: bool,
                 fact_filter: str | None = None, decompose: str | None = None, replace_other_corpus: bool = False) -> None:
    """Measure Recall@k of every retrieval mode on a dataset folder (questions.json + corpus.json);
    with --qa, also the reader's answer EM and F1 (best over the gold answer and its aliases).

    \b
    Example:
      hipporag-like eval ../shared/datasets/musique_100 --openie ../shared/datasets/musique_100/openie_gpt-3.5-turbo-1106.json --out eval/m
      hipporag-like eval examples/demo --mode hybrid --mode dense --json
      hipporag-like eval examples/demo --mode hybrid --qa --llm-base-url http://localhost:8000/v1 --llm-model M --answers a.jsonl
      hipporag-like eval examples/demo --mode hybrid --fact-filter llm --llm-base-url http://localhost:8000/v1 --llm-model M
    """
    from .evaluation.qa import qa_options
    from .evaluation.report import markdown_table, write_report
    from .evaluation.runner import evaluate
    from .reader import reader_from_flags

    cutoffs = ks  # parsed by the option's callback, so a bad value is a usage error naming --k
    config = _pipeline_from_flags(pipeline, openie_file=openie_file)
    paths = {key: value for key, value in (("fact_filter", fact_filter), ("decompose", decompose)) if value}
    if paths:  # the LLM query paths: retrieval settings, answered by the reader's model
        config = replace(config, retrieval=replace(config.retrieval, **paths), reader=reader_from_flags(config.reader, llm_base_url, llm_model))
    index_dir = index_dir or DEFAULT_INDEX_ROOT / f"{dataset_dir.resolve().name}-{config.extractor.kind}"
    _check_index_path(index_dir)
    for path, option, folder in ((out, "--out", True), (answers_path, "--answers", False), (failures_path, "--failures", False),
                                 (cache_dir, "--cache-dir", True)):
        _check_output(path, option, folder, index_dir)  # before the evaluation, not after it
    answering = qa_options(config.reader, qa, answers_path, steps, llm_base_url, llm_model)
    report = evaluate(dataset_dir, config, index_dir, modes or None, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json), qa=answering,
                      failures_path=failures_path, replace_other_corpus=replace_other_corpus)
    if out:
        write_report(report, out)
    if as_json:
        _print_json(report.to_json())
    else:
        click.echo(f"{report.dataset}: {report.questions} questions, {report.passages} passages, extractor {report.extractor}")
        click.echo(markdown_table(report, cutoffs))


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("--graphml", "graphml_file", required=True, type=click.Path(path_type=Path), help="GraphML file to write (replaced atomically).")
@click.option("--follow-symlinks", is_flag=True, help="If the GraphML path is a symbolic link, replace the file it points to (refused otherwise).")
@click.option("--json", "as_json", is_flag=True, help='Print {"graphml", "nodes", "edges"}.')
@guarded
def export(index_dir: Path, graphml_file: Path, follow_symlinks: bool, as_json: bool) -> None:
    """Write an index's knowledge graph (passage and phrase nodes, weighted edges) as GraphML.

    The file is written beside its destination and renamed into place; a destination that is
    not a regular file (a device, a FIFO, a folder) is refused, and so is a symbolic link
    unless --follow-symlinks is given.

    \b
    Example:
      hipporag-like export --index indexes/demo --graphml demo.graphml --json
    """
    from .export import check_destination, write_graphml
    from .index import Index

    _check_index_path(index_dir)
    target = check_destination(graphml_file, follow_symlinks)  # before the index and its models load
    _check_output(target, "--graphml", index_dir=index_dir)
    with Index.open(index_dir) as opened:
        graph = write_graphml(opened.data, graphml_file, follow_symlinks)
    data = {"graphml": str(graphml_file), "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    if as_json:
        _print_json(data)
    else:
        click.echo(f"wrote {data['nodes']} nodes and {data['edges']} edges to {graphml_file}")


from .commands.query import query as _query; main.add_command(_query)  # noqa: E402,E702
from .commands.ask import ask as _ask; main.add_command(_ask)  # noqa: E402,E702 - registered last: it imports our helpers
from .commands.serve import serve as _serve; main.add_command(_serve)  # noqa: E402,E702


def run() -> None:
    """Console entry: unexpected exceptions exit 1 with a short message (traceback with HIPPORAG_DEBUG=1)."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("HIPPORAG_DEBUG"):
            raise
        message = f"{type(exc).__name__}: {exc}"
        click.echo(f"internal error: {message} (set HIPPORAG_DEBUG=1 for the traceback)", err=True)
        if asked_for_json():
            print_json_error(1, f"internal error: {message}")
        sys.exit(1)


__all__ = ["main", "run", "RetrievalConfig"]


if __name__ == "__main__":  # python -m hipporag_like.cli
    run()
