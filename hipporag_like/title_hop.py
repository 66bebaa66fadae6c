"""The title hop: a passage that names an entity points at that entity's own article.

Why: in the walk, a passage spreads its mass over every phrase it mentions (about 20), and
the damping halves it at each step, so the article of a bridge entity ("Hank Snow", named in
the first-hop passage "Hello Love is a 1974 single by Hank Snow") gets about 1% of the first
passage's score: hundreds of passages seeded directly by relevance outrank it (rank 396 in
that musique_100 question). The title hop adds the one step the walk dilutes: each of the
walk's best `title_hop_sources` passages gives `title_hop_weight` x its score to every passage
whose own title phrase it mentions (split evenly among passages that share that title). The
walk's order among its own best passages barely moves; the articles they name rise to just
below them. Measured in eval/TUNING.md.

Pure: arrays in, arrays out. `TitleLinks` is built once per opened version from its tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ranking import top_k


def _csr(keys: np.ndarray, values: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    indptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_keys), out=indptr[1:])
    return indptr, np.asarray(values, dtype=np.int64)[order]


@dataclass(frozen=True)
class TitleLinks:
    """passage -> phrases it mentions (its own title left out); phrase -> passages it titles."""

    mention_indptr: np.ndarray
    mention_phrase: np.ndarray
    title_indptr: np.ndarray
    title_passage: np.ndarray

    @classmethod
    def from_mentions(cls, n_passages: int, n_phrases: int, passage: np.ndarray, phrase: np.ndarray,
                      is_title: np.ndarray) -> "TitleLinks":
        passage, phrase = np.asarray(passage, dtype=np.int64), np.asarray(phrase, dtype=np.int64)
        is_title = np.asarray(is_title, dtype=bool)
        named = ~is_title
        return cls(*_csr(passage[named], phrase[named], n_passages), *_csr(phrase[is_title], passage[is_title], n_phrases))

    def articles_named_by(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """(passages, share): the articles whose title `source` mentions, each with 1 / the
        number of passages sharing that title. A passage never names itself."""
        phrases = self.mention_phrase[self.mention_indptr[source] : self.mention_indptr[source + 1]]
        starts, ends = self.title_indptr[phrases], self.title_indptr[phrases + 1]
        counts = ends - starts
        if counts.sum() == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        passages = self.title_passage[offsets]
        share = np.repeat(1.0 / np.maximum(counts, 1), counts)
        keep = passages != source
        return passages[keep], share[keep]


Named = list[tuple[int, np.ndarray]]  # (source passage, the articles it named)


def title_hop(links: TitleLinks, scores: np.ndarray, live: np.ndarray, sources: int, weight: float) -> tuple[np.ndarray, Named]:
    """(scores + weight x what the best `sources` live passages pass to the articles they name,
    [(source, articles it named)]). weight 0 or no sources: the scores unchanged."""
    if weight <= 0 or sources <= 0:
        return scores, []
    boosted = np.array(scores, dtype=np.float64)
    named: Named = []
    for source in top_k(np.where(live, scores, -np.inf), sources).tolist():
        passages, share = links.articles_named_by(source)
        np.add.at(boosted, passages, weight * float(scores[source]) * share)
        named.append((source, passages))
    return boosted, named


def named_by(named: Named, passage: int) -> list[int]:
    """The sources that named `passage`, best first."""
    return [source for source, passages in named if passage in passages]
