"""Write an evaluation report: results.json, a markdown table and a PNG plot of Recall@k (and,
after `eval --qa`, answer EM and F1 per mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..outputs import write_text_replacing
from .metrics import RECALL_KS
from .runner import EvalReport, ModeResult


def markdown_table(report: EvalReport, ks: Sequence[int] = RECALL_KS) -> str:
    qa = any(r.qa for r in report.results)
    header = "| mode | " + " | ".join(f"R@{k}" for k in ks) + (" | EM | F1" if qa else "") + " | latency mean / p50 / p95 (ms) |"
    rule = "|---|" + "---:|" * (len(ks) + (2 if qa else 0)) + "---:|"
    rows = [
        f"| {_label(r)} | " + " | ".join(f"{r.recall[str(k)]:.1f}" for k in ks)
        + (f" | {r.qa['em']:.1f} | {r.qa['f1']:.1f}" if r.qa else " | - | -" if qa else "")
        + f" | {r.latency_ms['mean']:.0f} / {r.latency_ms['p50']:.0f} / {r.latency_ms['p95']:.0f} |"
        for r in report.results
    ]
    return "\n".join([header, rule, *rows])


def _label(result: ModeResult) -> str:
    """The mode, and for answers from IRCoT the number of steps (EM/F1 are then IRCoT's)."""
    steps = (result.qa or {}).get("steps")
    return f"{result.mode} (QA: IRCoT {steps} steps)" if steps else result.mode


def write_report(report: EvalReport, folder: str | Path, title: str | None = None) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = report.to_json() | {"index_seconds": report.index_seconds, "eval_seconds": report.eval_seconds}
    write_text_replacing(folder / "results.json", json.dumps(data, indent=2) + "\n")
    lines = [
        f"# {title or report.dataset}",
        "",
        f"{report.questions} questions, {report.passages} passages; extractor `{report.extractor}`; embedder `{report.embedder}`.",
        f"Index build: {f'{report.index_seconds} s' if report.index_seconds is not None else 'reused'}; evaluation: {report.eval_seconds} s.",
        "",
        markdown_table(report),
        "",
        "![Recall@k per mode](recall.png)",
        "",
    ]
    write_text_replacing(folder / "results.md", "\n".join(lines))
    plot_recall(report, folder / "recall.png", title)


def plot_recall(report: EvalReport, path: Path, title: str | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    answered = [r for r in report.results if r.qa]
    if answered:
        fig, (ax, qa_ax) = plt.subplots(1, 2, figsize=(11.0, 4.2), dpi=110, gridspec_kw={"width_ratios": [3, 2]})
        _plot_answers(qa_ax, answered)
    else:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for result in report.results:
        ax.plot(RECALL_KS, [result.recall[str(k)] for k in RECALL_KS], marker="o", label=result.mode)
    ax.set_xscale("log")
    ax.set_xticks(RECALL_KS, [str(k) for k in RECALL_KS])
    ax.set_xlabel("k")
    ax.set_ylabel("Recall@k (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)
    ax.set_title(title or report.dataset)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_answers(ax, results: Sequence[ModeResult]) -> None:  # type: ignore[no-untyped-def]
    """EM and F1 bars, side by side per mode."""
    import numpy as np

    x = np.arange(len(results))
    ax.bar(x - 0.2, [r.qa["em"] for r in results], width=0.4, label="EM")  # type: ignore[index]
    ax.bar(x + 0.2, [r.qa["f1"] for r in results], width=0.4, label="F1")  # type: ignore[index]
    ax.set_xticks(x, [_label(r).replace(" (QA: ", "\n(") for r in results], fontsize=8)
    ax.set_ylabel("answer score (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(f"answers ({results[0].qa['reader']}, top {results[0].qa['k']})", fontsize=9)  # type: ignore[index]
    ax.legend(loc="upper right")
