"""The `hipporag-like` command line: a thin layer over the library.

Exit codes: 0 success, 2 bad usage or input (a one-line message on stderr), 1 internal failure.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click

from .config import PipelineConfig, RetrievalConfig, load_pipeline
from .errors import HippoError
from .progress import Progress
from .retrieval import MODES

DEFAULT_INDEX_ROOT = Path("indexes")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become a one-line message and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HippoError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="hipporag-like")
def main() -> None:
    """Multi-hop retrieval over a knowledge graph with Personalized PageRank.

    \b
    Example:
      hipporag-like index examples/demo/corpus.json --index indexes/demo
      hipporag-like query "Who founded the company that built the Gull?" --index indexes/demo
    """


@main.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to write (replaced atomically).")
@click.option("--pipeline", type=click.Path(path_type=Path), help="Pipeline file (TOML); see pipelines/.")
@click.option("--extractor", type=click.Choice(["spacy", "openie", "openai", "vllm"]), help="Extraction backend (overrides the pipeline).")
@click.option("--openie", "openie_file", type=click.Path(path_type=Path), help="Reuse a HippoRAG OpenIE result file (implies --extractor openie).")
@click.option("--llm-base-url", help="OpenAI-compatible server for --extractor openai (vllm serve, Ollama, OpenAI).")
@click.option("--llm-model", help="Model name for the LLM extractor.")
@click.option("--dry-run", is_flag=True, help="Count passages and estimate LLM tokens (and cost); call nothing, write nothing.")
@click.option("--price-in", type=float, help="With --dry-run: price per million input tokens.")
@click.option("--price-out", type=float, help="With --dry-run: price per million output tokens.")
@click.option("--max-tokens-budget", type=click.IntRange(min=1), help="Stop (resumably) once the LLM has used this many tokens.")
@click.option("--retry-failed", is_flag=True, help="Ask the LLM again for passages quarantined by an earlier run.")
@click.option("--qdrant-url", help="Store vectors on a Qdrant server instead of the embedded Qdrant Edge.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings (default: user cache dir).")
@click.option("--skip-bad", is_flag=True, help="Skip (and count) malformed corpus records instead of stopping.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def index(corpus: tuple[Path, ...], index_dir: Path, pipeline: Path | None, extractor: str | None, openie_file: Path | None,
          llm_base_url: str | None, llm_model: str | None, dry_run: bool, price_in: float | None, price_out: float | None,
          max_tokens_budget: int | None, retry_failed: bool,
          qdrant_url: str | None, cache_dir: Path | None, skip_bad: bool, as_json: bool, quiet: bool) -> None:
    """Build an index from CORPUS files or folders (.json, .jsonl, .csv, .txt/.md).

    \b
    Example:
      hipporag-like index examples/demo/corpus.json --index indexes/demo
      hipporag-like index corpus.json --index indexes/m --openie openie.json --json
      hipporag-like index corpus.json --index indexes/v --pipeline pipelines/vllm-serve.toml --dry-run
    """
    from .cache import KeyValueCache, default_cache_dir
    from .corpus import read_corpus
    from .extraction.factory import make_extractor
    from .index import Index

    config = load_pipeline(pipeline) if pipeline else PipelineConfig()
    if openie_file:
        config = config.with_overrides("extractor", kind="openie", openie_file=str(openie_file))
    config = config.with_overrides("extractor", kind=extractor).with_overrides("vectors", url=qdrant_url)
    if qdrant_url:
        config = config.with_overrides("vectors", kind="qdrant")
    config = config.with_overrides("extractor", base_url=llm_base_url, model=llm_model)
    uses_llm = config.extractor.kind in ("openai", "vllm")
    progress = Progress.for_terminal(quiet or as_json)
    started = time.monotonic()
    report = read_corpus(corpus, skip_bad=skip_bad)
    cache = KeyValueCache(cache_dir or default_cache_dir())
    try:
        if dry_run:
            _dry_run(report.passages, config, cache, price_in, price_out, retry_failed, as_json)
            return
        chosen = make_extractor(config.extractor, cache=cache, retry_failed=retry_failed, max_tokens_budget=max_tokens_budget) if uses_llm else None
        built = Index.build(report.passages, index_dir, config, cache_dir=cache_dir, progress=progress, extractor=chosen)
        summary = {"index": str(index_dir), "seconds": round(time.monotonic() - started, 2), "skipped": report.skipped, **built.stats()}
        built.close()
        if uses_llm:
            from .extraction.llm_extractor import quarantined_for_config

            summary["quarantined"] = [{"passage_id": r.passage_id, "title": r.title, "step": r.step, "error": r.error} for r in quarantined_for_config(config.extractor, cache)]
    finally:
        cache.close()
    if as_json:
        _print_json(summary)
    else:
        edges = summary["edges"]
        click.echo(
            f"indexed {summary['passages']} passages into {index_dir}: {summary['phrases']} phrases, {summary['facts']} facts, "
            f"{sum(edges.values())} edges, in {summary['seconds']} s"
        )
        if report.skipped:
            click.echo(f"skipped {len(report.skipped)} bad records (first: {report.skipped[0]})", err=True)
        for record in summary.get("quarantined", []):
            click.echo(f"quarantined: {record['title'] or record['passage_id']} ({record['step']}): {record['error']}", err=True)


def _dry_run(passages: list, config: PipelineConfig, cache: Any, price_in: float | None, price_out: float | None,
             retry_failed: bool, as_json: bool) -> None:
    """Estimate what extraction would still cost; no LLM call, nothing written."""
    if config.extractor.kind not in ("openai", "vllm"):
        data = {"passages": len(passages), "extractor": config.extractor.kind, "llm_calls": 0}
        _print_json(data) if as_json else click.echo(f"{len(passages)} passages; extractor '{config.extractor.kind}' makes no LLM calls")
        return
    from .extraction.llm_extractor import estimate_for_config

    estimate = estimate_for_config(passages, config.extractor, cache, price_in_per_million=price_in,
                                   price_out_per_million=price_out, retry_failed=retry_failed)
    if as_json:
        _print_json({key: getattr(estimate, key) for key in ("passages", "already_done", "requests", "input_tokens", "output_tokens", "cost", "tokenizer")})
    else:
        click.echo("\n".join(estimate.lines()))


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder.")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(min=1), help="How many passages.")
@click.option("--mode", type=click.Choice(MODES), help="Retrieval mode (default: the index's, normally hybrid).")
@click.option("--json", "as_json", is_flag=True, help='Print {"query", "passages": [{"id", "title", "text", "score", "why"}]}.')
@guarded
def query(question: str, index_dir: Path, k: int, mode: str | None, as_json: bool) -> None:
    """Retrieve the passages that answer QUESTION, with why each was chosen.

    \b
    Example:
      hipporag-like query "Where was the founder of Tidewater born?" --index indexes/demo -k 5 --json
    """
    from .index import Index

    with Index.open(index_dir) as opened:
        result = opened.retrieve(question, k=k, mode=mode)
    if as_json:
        _print_json(result.to_dict())
        return
    click.echo(f"Q: {question}  [{result.mode}]")
    for rank, hit in enumerate(result.passages, start=1):
        seeds = ", ".join(s.phrase for s in hit.why.seed_phrases[:4]) or "-"
        click.echo(f"{rank}. {hit.title or hit.id}  (score {hit.score:.4g}; seeds: {seeds})")
        click.echo(f"   {hit.text[:200]}{'...' if len(hit.text) > 200 else ''}")


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
    from .store import read_manifest

    manifest = read_manifest(index_dir)
    counts = manifest["counts"]
    data = {
        "index": str(index_dir),
        "format_version": manifest["format_version"],
        "embedder": manifest["embedder"]["fingerprint"],
        "extractor": manifest["extractor"]["fingerprint"],
        **counts,
    }
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        click.echo(f"{key:>16}: {value}")


def _change_report(summary: Any, index_dir: Path, seconds: float, as_json: bool) -> None:
    data = {
        "index": str(index_dir),
        "added": len(summary.added),
        "removed": len(summary.removed),
        "already_present": summary.already_present,
        "changed": summary.changed,
        "seconds": round(seconds, 2),
        "quarantined": [e.passage_id for e in summary.failed],
        "counts": summary.manifest.get("counts", {}),
    }
    if as_json:
        _print_json(data)
    elif not summary.changed:
        click.echo(f"nothing to change in {index_dir} ({summary.already_present} passages already indexed)")
    else:
        click.echo(f"{index_dir}: added {data['added']}, removed {data['removed']} passages in {data['seconds']} s; "
                   f"now {data['counts'].get('passages')} passages, {data['counts'].get('facts')} facts")


@main.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to change.")
@click.option("--replace-same-title", is_flag=True, help="A passage whose title matches one indexed passage with other text replaces it (an update).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings.")
@click.option("--skip-bad", is_flag=True, help="Skip (and count) malformed corpus records instead of stopping.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def insert(corpus: tuple[Path, ...], index_dir: Path, replace_same_title: bool, cache_dir: Path | None, skip_bad: bool,
           as_json: bool, quiet: bool) -> None:
    """Add new passages to an index in one transaction; only they are extracted and embedded.

    \b
    Example:
      hipporag-like insert more.jsonl --index indexes/demo
      hipporag-like insert edited.json --index indexes/demo --replace-same-title --json
    """
    from .corpus import read_corpus
    from .index import Index

    started = time.monotonic()
    passages = read_corpus(corpus, skip_bad=skip_bad).passages
    with Index.open(index_dir) as opened:
        remove: list[str] = []
        if replace_same_title:
            by_title: dict[str, list[str]] = {}
            for p in opened.data.passages:
                by_title.setdefault(p.title, []).append(p.id)
            known = {p.id for p in opened.data.passages}
            remove = [by_title[p.title][0] for p in passages if p.title and p.id not in known and len(by_title.get(p.title, [])) == 1]
        summary = opened.apply(add=passages, remove=remove, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json))
    _change_report(summary, index_dir, time.monotonic() - started, as_json)


@main.command()
@click.option("--index", "index_dir", required=True, type=click.Path(path_type=Path), help="Index folder to change.")
@click.option("--id", "ids", multiple=True, help="Passage id to delete (repeatable).")
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path), help="Delete every passage of this corpus file (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@guarded
def delete(index_dir: Path, ids: tuple[str, ...], sources: tuple[Path, ...], as_json: bool) -> None:
    """Delete passages, and the facts, phrases, edges and vectors only they supported.

    \b
    Example:
      hipporag-like delete --index indexes/demo --id 3f2a9c0d11e84b7a
      hipporag-like delete --index indexes/demo --source old.jsonl --json
    """
    from .corpus import read_corpus
    from .index import Index

    if not ids and not sources:
        raise click.UsageError("give --id or --source")
    started = time.monotonic()
    wanted = list(ids)
    if sources:
        wanted += [p.id for p in read_corpus(sources).passages]
    with Index.open(index_dir) as opened:
        present = {p.id for p in opened.data.passages}
        if sources:  # a source file's passages that are not indexed are simply not there
            wanted = [i for i in wanted if i in present or i in ids]
        summary = opened.delete(dict.fromkeys(wanted))
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
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default: indexes/DATASET-EXTRACTOR); reused when it matches.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Shared cache of extractions and embeddings.")
@click.option("--out", type=click.Path(path_type=Path), help="Write results.json, results.md and recall.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@guarded
def eval_command(dataset_dir: Path, openie_file: Path | None, pipeline: Path | None, modes: tuple[str, ...], ks: list[int],
                 index_dir: Path | None, cache_dir: Path | None, out: Path | None, as_json: bool, quiet: bool) -> None:
    """Measure Recall@k of every retrieval mode on a dataset folder (questions.json + corpus.json).

    \b
    Example:
      hipporag-like eval ../shared/datasets/musique_100 --openie ../shared/datasets/musique_100/openie_gpt-3.5-turbo-1106.json --out eval/m
      hipporag-like eval examples/demo --mode hybrid --mode dense --json
    """
    from .evaluation.report import markdown_table, write_report
    from .evaluation.runner import evaluate

    cutoffs = ks  # parsed by the option's callback, so a bad value is a usage error naming --k
    config = load_pipeline(pipeline) if pipeline else PipelineConfig()
    if openie_file:
        config = config.with_overrides("extractor", kind="openie", openie_file=str(openie_file))
    index_dir = index_dir or DEFAULT_INDEX_ROOT / f"{dataset_dir.resolve().name}-{config.extractor.kind}"
    report = evaluate(dataset_dir, config, index_dir, modes or None, cache_dir=cache_dir, progress=Progress.for_terminal(quiet or as_json))
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
@click.option("--json", "as_json", is_flag=True, help='Print {"graphml", "nodes", "edges"}.')
@guarded
def export(index_dir: Path, graphml_file: Path, as_json: bool) -> None:
    """Write an index's knowledge graph (passage and phrase nodes, weighted edges) as GraphML.

    \b
    Example:
      hipporag-like export --index indexes/demo --graphml demo.graphml --json
    """
    from .export import check_destination, write_graphml
    from .index import Index

    check_destination(graphml_file)  # before the index and its models load
    if graphml_file.resolve().is_relative_to(index_dir.resolve()):
        _fail(f"{graphml_file}: is inside the index folder {index_dir}; write the GraphML elsewhere")
    with Index.open(index_dir) as opened:
        graph = write_graphml(opened.data, graphml_file)
    data = {"graphml": str(graphml_file), "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    if as_json:
        _print_json(data)
    else:
        click.echo(f"wrote {data['nodes']} nodes and {data['edges']} edges to {graphml_file}")


def run() -> None:
    """Console entry: unexpected exceptions exit 1 with a short message (traceback with HIPPORAG_DEBUG=1)."""
    import os

    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("HIPPORAG_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set HIPPORAG_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)


__all__ = ["main", "run", "RetrievalConfig"]
