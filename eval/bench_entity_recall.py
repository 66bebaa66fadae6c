"""Issue 9: does catching the names spaCy's small NER misses buy recall?

    .venv/bin/python eval/bench_entity_recall.py hotpotqa_100 plain extend runs extend+runs

The failure report showed bridges lost because the no-LLM extractor never made the bridge
entity a phrase ("singer-songwriter M. Ward": the NER tagged no entity there), so
neither the title hop nor the title seeds could reach "M. Ward". Variants of the entity list,
each built over the same parses (cached by eval/ablate_rules.py) with the default rules-1
triples, then measured in the default `hybrid` mode:
- plain: the shipped entities (reproduces the benchmark index);
- extend: each entity grown over the proper nouns right next to it;
- runs: plus every run of 2+ proper nouns that is in no entity ("Shabana Azmi");
- extend+runs: both.
Indexes land in indexes/DATASET-spacy-ent-VARIANT. Results are in eval/TUNING.md.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from ablate_rules import DATA, KS, ROOT, ParsedExtractor, parsed  # the cached parses
from hipporag_like.config import PipelineConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.extraction import spacy_rules
from hipporag_like.index import Index

VARIANTS = ("plain", "extend", "runs", "extend+runs")


def _kept_entities(doc: Any) -> list[Any]:
    return [e for e in doc.ents if e.label_ not in spacy_rules.SKIPPED_LABELS]


def grown(doc: Any) -> list[tuple[int, int]]:
    """Token spans of the entities, each extended over adjacent proper nouns outside any entity."""
    taken = {t.i for e in doc.ents for t in e}
    found = []
    for ent in _kept_entities(doc):
        start, end = ent.start, ent.end
        while start > 0 and doc[start - 1].pos_ == "PROPN" and start - 1 not in taken:
            start -= 1
        while end < len(doc) and doc[end].pos_ == "PROPN" and end not in taken:
            end += 1
        found.append((start, end))
    return found


def proper_noun_runs(doc: Any, min_length: int = 2) -> list[tuple[int, int]]:
    """Token spans of consecutive proper nouns that no entity covers."""
    taken = {t.i for e in doc.ents for t in e}
    found, start = [], None
    for token in [*doc, None]:
        inside = token is not None and token.pos_ == "PROPN" and token.i not in taken and token.text.strip()
        if inside and start is None:
            start = token.i
        elif not inside and start is not None:
            end = token.i if token is not None else len(doc)
            if end - start >= min_length:
                found.append((start, end))
            start = None
    return found


def entities(doc: Any, title: str, variant: str) -> list[str]:
    """The title, then the variant's entities in order, without repeats (as doc_entities)."""
    spans = grown(doc) if "extend" in variant else [(e.start, e.end) for e in _kept_entities(doc)]
    if "runs" in variant:
        spans = sorted(spans + proper_noun_runs(doc))
    seen = {title.lower(): title} if title else {}
    for start, end in spans:
        text = doc[start:end].text.strip()
        if text:
            seen.setdefault(text.lower(), text)
    return list(seen.values())


def variant_rules(variant: str) -> Callable[[Any, str], tuple[list[str], list[Any]]]:
    def rules(doc: Any, title: str) -> tuple[list[str], list[Any]]:
        found = entities(doc, title, variant)
        return found, spacy_rules.doc_triples(doc, title, found, title_links=True, bridge_rules=False)

    return rules


def main(dataset_name: str, variants: list[str]) -> int:
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        print(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    dataset = load_dataset(DATA / dataset_name)
    docs = parsed(dataset_name, dataset.passages)
    for variant in variants:
        folder = ROOT / "indexes" / f"{dataset_name}-spacy-ent-{variant}"
        if not folder.exists():
            Index.build(dataset.passages, folder, PipelineConfig(), extractor=ParsedExtractor(docs, f"entities={variant}", variant_rules(variant))).close()
        with Index.open(folder) as index:
            rankings = [[p.id for p in index.retrieve(q.text, k=max(KS), mode="hybrid").passages] for q in dataset.questions]
            phrases = index.retriever.tables.n_phrases
        recall = mean_recall(rankings, [q.gold_ids for q in dataset.questions], KS)
        print(f"| {dataset_name} | {variant} | {phrases} | " + " | ".join(f"{recall[k]:.1f}" for k in KS) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:] or list(VARIANTS)))
