"""The title hop (title_hop.py): the walk's best passages pass part of their score to the
articles of the entities they name. Pure kernels on hand-made arrays, then the real index
(Qdrant Edge, MiniLM, the walk) of test_second_hop.py's two-hop corpus, where the director's
article is reached by the title hop from the film's passage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hipporag_like.config import PipelineConfig
from hipporag_like.errors import InputError
from hipporag_like.title_hop import TitleLinks, named_by, title_hop
from test_second_hop import QUESTION, build

# passages 0..3, phrases 0..3. Passage 0 is titled by phrase 0 and mentions phrases 1 and 2;
# passage 1 is titled by phrase 1 and mentions phrase 0; passages 2 and 3 share the title phrase 2.
LINKS = TitleLinks.from_mentions(4, 4, passage=np.array([0, 0, 0, 1, 2, 3, 1]), phrase=np.array([0, 1, 2, 1, 2, 2, 0]),
                                 is_title=np.array([1, 0, 0, 1, 1, 1, 0], dtype=bool))
LIVE = np.ones(4, dtype=bool)


def test_a_passage_names_the_articles_whose_title_it_mentions() -> None:
    passages, share = LINKS.articles_named_by(0)
    assert passages.tolist() == [1, 2, 3] and share.tolist() == [1.0, 0.5, 0.5]  # a shared title splits evenly
    assert LINKS.articles_named_by(1)[0].tolist() == [0]
    assert LINKS.articles_named_by(2)[0].tolist() == []  # its own title is not a link, even to a namesake


def test_the_best_sources_pass_weight_times_their_score() -> None:
    scores = np.array([1.0, 0.1, 0.0, 0.0])
    boosted, named = title_hop(LINKS, scores, LIVE, sources=1, weight=0.5)
    assert boosted.tolist() == [1.0, 0.6, 0.25, 0.25] and [named_by(named, p) for p in range(4)] == [[], [0], [0], [0]]
    both, named = title_hop(LINKS, scores, LIVE, sources=2, weight=0.5)
    assert both[0] == pytest.approx(1.05) and named_by(named, 0) == [1] and named_by(named, 2) == [0]
    assert title_hop(LINKS, scores, LIVE, sources=5, weight=0.0)[0] is scores  # off: untouched
    dead_best = np.array([False, True, True, True])
    assert [s for s, _ in title_hop(LINKS, scores, dead_best, sources=1, weight=0.5)[1]] == [1]  # a deleted passage is no source


def test_weights_are_checked_when_a_pipeline_is_read() -> None:
    with pytest.raises(InputError, match="title_hop_weight.*must not be negative"):
        PipelineConfig.from_dict({"retrieval": {"title_hop_weight": -0.1}}, "p.toml")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    # The question's title seeds are off, so the walk alone leaves the director's article low.
    with build(tmp_path_factory.mktemp("title-hop") / "idx", hybrid_fact_top_k=1, title_seed_weight=0.0) as opened:
        yield opened


def titles(result) -> list[str]:
    return [p.title for p in result.passages]


def test_the_film_passage_lifts_its_directors_article(index) -> None:
    hopped = index.retrieve(QUESTION, k=8, mode="hybrid")
    config = index.retriever.config
    index.retriever.config = replace(config, title_hop_weight=0.0)
    try:
        plain = index.retrieve(QUESTION, k=8, mode="hybrid")
    finally:
        index.retriever.config = config
    assert titles(plain).index("Orrin Vale") >= 5  # the walk alone: look-alikes outrank the director
    assert titles(hopped).index("Orrin Vale") <= 2 and titles(hopped)[0] == titles(plain)[0]
    director = hopped.passages[titles(hopped).index("Orrin Vale")]
    assert "Blind Harbour" in director.why.named_by
    assert all(not p.why.named_by for p in plain.passages)


def test_the_faithful_hipporag_modes_have_no_title_hop(index) -> None:
    assert all(not p.why.named_by for p in index.retrieve(QUESTION, k=8, mode="ppr-fact").passages)


@pytest.mark.parametrize("ppr", ["auto", "power"])
def test_warm_builds_what_the_first_query_would_and_changes_no_result(index, ppr) -> None:
    from hipporag_like.retrieval import Retriever

    config = replace(index.retriever.config, ppr=ppr)
    cold = Retriever(index.version, index.store, index.embedder, config)
    expected = [p.id for p in cold.retrieve(QUESTION, k=8).passages]
    warm = Retriever(index.version, index.store, index.embedder, config)
    warm.warm()
    built = (warm._title_links, warm._point_rows, warm._bare_titles, warm._bm25)
    walk = warm._transition_matrix if ppr == "power" else warm._exact_graph
    assert all(part is not None for part in built) and walk is not None
    assert [p.id for p in warm.retrieve(QUESTION, k=8).passages] == expected
