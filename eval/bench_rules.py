"""Issue 9: facts per passage of the spaCy rules, read from built indexes (no re-extraction).

    .venv/bin/python eval/bench_rules.py indexes/musique_100-spacy indexes/musique_100-spacy-rules2 ...

For each index: the extractor fingerprint, passages, triples per passage (all, verb and
bridge triples, and title links), and the share of passages whose title is the subject of at
least one triple that is not a title link (a bridge can only be followed from a passage whose
subject has facts). The rules-1 index is the benchmark one (`make bench`); a rules-2 index is
built by `hipporag-like eval DATASET --index indexes/NAME-spacy-rules2` (see TUNING.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from hipporag_like.extraction.spacy_rules import TITLE_RELATION
from hipporag_like.store import open_version
from hipporag_like.text import normalize_phrase


def facts_per_passage(index_dir: Path) -> dict[str, float | str | int]:
    version = open_version(index_dir)
    try:
        n = version.tables.n_passages
        total = links = titled = 0
        for row in range(n):
            passage = version.line("passages", row)
            triples = version.line("extractions", row)["triples"]
            total += len(triples)
            links += sum(1 for t in triples if t[1] == TITLE_RELATION)
            key = normalize_phrase(passage["title"])
            titled += any(t[1] != TITLE_RELATION and key in (normalize_phrase(t[0]), normalize_phrase(t[2])) for t in triples)
        return {
            "extractor": version.manifest["extractor"]["fingerprint"],
            "passages": n,
            "triples/passage": round(total / n, 2),
            "rule triples/passage": round((total - links) / n, 2),
            "title links/passage": round(links / n, 2),
            "title has a rule fact (%)": round(100 * titled / n, 1),
        }
    finally:
        version.close()


def main(folders: list[str]) -> int:
    for folder in folders:
        row = facts_per_passage(Path(folder))
        print(f"| {Path(folder).name} | " + " | ".join(str(v) for v in row.values()) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
