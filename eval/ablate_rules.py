"""Issue 9: which spaCy rule buys or costs recall. Parses the corpus once (a DocBin kept in
eval/runs/), then builds one index per variant with some rules switched back to their rules-1
form, and measures `hybrid` on it.

    .venv/bin/python eval/ablate_rules.py musique_100 no-definite-subject no-apposition-names

Variants: "all" (rules-3 as shipped), "no-definite-subject" (a bare "the film" subject stays
"film"), "no-apposition-names" (a common-noun argument does not stand for names in apposition),
"no-bridge" (no bridge_triples at all, only the two changes above). Indexes land in
indexes/DATASET-spacy-abl-VARIANT.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from hipporag_like.config import PipelineConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.extraction import spacy_rules
from hipporag_like.extraction.base import Extraction
from hipporag_like.extraction.spacy_extractor import DEFAULT_SPACY_MODEL, SpacyExtractor, load_spacy
from hipporag_like.index import Index

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", ROOT.parent / "shared" / "datasets"))
KS = (1, 2, 5, 10, 20)

ORIGINAL = {"_subject_phrase": spacy_rules._subject_phrase, "_with_conjuncts": spacy_rules._with_conjuncts,
            "bridge_triples": spacy_rules.bridge_triples}
SWITCHES = {
    "no-definite-subject": {"_subject_phrase": lambda token, spans, title: spacy_rules._phrase(token, spans, title)},
    "no-apposition-names": {"_with_conjuncts": lambda token: [token, *token.conjuncts]},
    "no-bridge": {"bridge_triples": lambda doc, spans, title: []},
}


@dataclass
class ParsedExtractor:
    """SpacyExtractor over parses made once: `rules(doc, title)` gives a passage's (entities,
    triples); `variant` names it in the fingerprint."""

    docs: dict[str, Any]
    variant: str
    rules: Callable[[Any, str], tuple[list[str], list[Any]]]

    @property
    def fingerprint(self) -> str:
        return f"{SpacyExtractor().fingerprint}:{self.variant}"

    def extract(self, passages: Sequence[Any], progress: Any) -> list[Extraction]:
        results = []
        for passage in passages:
            entities, triples = self.rules(self.docs[passage.id], passage.title)
            results.append(Extraction(passage.id, tuple(entities), tuple(triples)))
        return results


def ablated(variant: str) -> Callable[[Any, str], tuple[list[str], list[Any]]]:
    """The rules-3 rules with the variant's switches applied for the call."""

    def rules(doc: Any, title: str) -> tuple[list[str], list[Any]]:
        for name, function in ORIGINAL.items():
            setattr(spacy_rules, name, SWITCHES.get(variant, {}).get(name, function))
        try:
            entities = spacy_rules.doc_entities(doc, title)
            return entities, spacy_rules.doc_triples(doc, title, entities)
        finally:
            for name, function in ORIGINAL.items():
                setattr(spacy_rules, name, function)

    return rules


def parsed(dataset_name: str, passages: Sequence[Any]) -> dict[str, Any]:
    from spacy.tokens import DocBin

    nlp = load_spacy(DEFAULT_SPACY_MODEL)
    path = HERE / "runs" / f"{dataset_name}.spacy"
    if path.is_file():
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    else:
        docs = list(nlp.pipe((p.text for p in passages), batch_size=32))
        path.parent.mkdir(exist_ok=True)
        DocBin(docs=docs, attrs=["ORTH", "TAG", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE", "POS", "LEMMA"]).to_disk(path)
    return {p.id: d for p, d in zip(passages, docs)}


def main(dataset_name: str, variants: list[str]) -> int:
    dataset = load_dataset(DATA / dataset_name)
    docs = parsed(dataset_name, dataset.passages)
    for variant in variants:
        folder = ROOT / "indexes" / f"{dataset_name}-spacy-abl-{variant}"
        Index.build(dataset.passages, folder, PipelineConfig(), extractor=ParsedExtractor(docs, f"ablation={variant}", ablated(variant))).close()
        with Index.open(folder) as index:
            rankings = [[p.id for p in index.retrieve(q.text, k=max(KS), mode="hybrid").passages] for q in dataset.questions]
        recall = mean_recall(rankings, [q.gold_ids for q in dataset.questions], KS)
        print(f"| {dataset_name} | {variant} | " + " | ".join(f"{recall[k]:.1f}" for k in KS) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
