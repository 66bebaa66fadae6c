"""Hashed-term BM25 (lexical.py) against bm25s, the project's current lexical scorer."""

from __future__ import annotations

import hashlib

import bm25s
import numpy as np
import pytest

from hipporag_like.errors import HippoError
from hipporag_like.lexical import BM25Scorer, TermCounts, term_counts, term_ids, tokenize

CORPUS = [
    "Marie Curie was a physicist and chemist who conducted pioneering research on radioactivity.",
    "She was the first woman to win a Nobel Prize, and the only person to win it in two sciences.",
    "Pierre Curie, her husband, shared the 1903 Nobel Prize in Physics with her and Henri Becquerel.",
    "The Curies discovered polonium and radium in 1898 while working in Paris.",
    "Polonium was named after Poland, Marie Curie's native country.",
    "Warsaw is the capital and largest city of Poland, on the Vistula river.",
    "Paris is the capital of France; the Seine flows through the city.",
    "The Eiffel Tower in Paris was completed in 1889 for the World's Fair.",
    "Gustave Eiffel's company designed and built the tower.",
    "Radium emits alpha particles and glows faintly blue in the dark.",
    "Radioactivity is the emission of radiation by unstable atomic nuclei.",
    "Henri Becquerel discovered radioactivity in 1896 using uranium salts.",
    "Uranium is a heavy metal; uranium-235 is used as fuel in nuclear reactors.",
    "Nuclear reactors in France produce most of the country's electricity.",
    "The Nobel Prize in Chemistry 1911 went to Marie Curie for radium and polonium.",
    "Irène Joliot-Curie, Marie's daughter, won the Nobel Prize in Chemistry in 1935.",
    "Café culture in Paris: a croissant, a café crème, and a newspaper.",
    "The Vistula is the longest river in Poland, flowing into the Baltic Sea.",
    "The Baltic Sea borders Poland, Germany, Sweden and Finland.",
    "Sweden awards the Nobel Prizes in Stockholm every December.",
    "Alfred Nobel invented dynamite and left his fortune to fund the prizes.",
    "Dynamite is an explosive made from nitroglycerin absorbed in diatomaceous earth.",
    "",
    "the and of a to in is it",
    "Curie curie CURIE: the unit of radioactivity was named after the Curies.",
    "A physicist studies matter, energy and their interactions.",
    "Chemists study substances, their properties and reactions; chemistry is a science.",
    "Stockholm is the capital of Sweden and its largest city.",
    "Helsinki is the capital of Finland, across the Baltic from Stockholm.",
    "Naïve résumé: Ångström units measure wavelengths of radiation.",
]

QUERIES = [
    "Who discovered radium and polonium?",
    "Nobel Prize in Chemistry",
    "capital city of Poland",
    "Curie curie radioactivity radioactivity",
    "Eiffel tower Paris",
    "ångström résumé naïve",
    "Baltic Sea Stockholm Finland Sweden",
]


def _query_terms(tokens) -> list[str]:
    """retrieval._query_terms: a tokenised query back to strings (bm25s gives it its own vocab)."""
    inverse = {i: w for w, i in tokens.vocab.items()}
    return [inverse[i] for i in tokens.ids[0] if inverse.get(i)]


def _bm25s_scores(corpus: list[str], query: str, dtype: str = "float32") -> np.ndarray:
    """How retrieval.Retriever.bm25_scores calls bm25s."""
    retriever = bm25s.BM25(dtype=dtype)
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    terms = _query_terms(bm25s.tokenize([query], stopwords="en", show_progress=False))
    if not terms:
        return np.zeros(len(corpus))
    return np.asarray(retriever.get_scores(terms), dtype=np.float64)


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25s(query):
    ours = BM25Scorer([term_counts(CORPUS)]).scores(query)
    assert ours.dtype == np.float64 and ours.shape == (len(CORPUS),)
    assert ours.max() > 0
    # bm25s keeps its scores in float32 by default: agree to its precision...
    np.testing.assert_allclose(ours, _bm25s_scores(CORPUS, query), rtol=1e-6, atol=1e-6)
    # ...and to float64 precision when bm25s computes in float64
    np.testing.assert_allclose(ours, _bm25s_scores(CORPUS, query, dtype="float64"), rtol=1e-12, atol=1e-12)


def test_segments_equal_one_segment():
    whole = BM25Scorer([term_counts(CORPUS)])
    parts = BM25Scorer([term_counts(CORPUS[:7]), term_counts(CORPUS[7:20]), term_counts(CORPUS[20:])])
    for query in QUERIES:
        np.testing.assert_allclose(parts.scores(query), whole.scores(query), rtol=1e-13, atol=1e-13)


def test_dead_documents_equal_a_corpus_without_them():
    dead = {0, 3, 14, 22, 24}
    live = np.array([i not in dead for i in range(len(CORPUS))])
    survivors = [text for i, text in enumerate(CORPUS) if i not in dead]
    segments = [term_counts(CORPUS[:10]), term_counts(CORPUS[10:])]
    scorer = BM25Scorer(segments, live)
    assert scorer.n_live == len(survivors)
    for query in QUERIES:
        scores = scorer.scores(query)
        assert np.all(scores[~live] == 0)
        np.testing.assert_allclose(scores[live], BM25Scorer([term_counts(survivors)]).scores(query), rtol=1e-13)
        np.testing.assert_allclose(scores[live], _bm25s_scores(survivors, query, "float64"), rtol=1e-12, atol=1e-12)


def test_unknown_and_empty_queries_give_zeros():
    scorer = BM25Scorer([term_counts(CORPUS)])
    for query in ["zyxwvut qqqq", "", "the and of", "?!"]:
        scores = scorer.scores(query)
        assert scores.shape == (len(CORPUS),) and not scores.any()
    assert not BM25Scorer([term_counts(CORPUS)], np.zeros(len(CORPUS), dtype=bool)).scores("radium").any()
    assert BM25Scorer([]).scores("radium").shape == (0,)


@pytest.mark.parametrize(
    "text",
    [
        "Hello, World! The café's naïve résumé — don't stop.",
        "x y2 __init__ 3.14 e-mail foo_bar Ärger ÉCOLE straße",
        "日本語のテキスト 東京 and Москва, İstanbul ΑΘΗΝΑ",
        "THE AND OF a an",
        "",
    ],
)
def test_tokenize_matches_bm25s(text):
    expected = bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)[0]
    assert tokenize(text) == expected


def test_term_ids_are_stable_and_distinct():
    ids = term_ids(["curie", "radium", "curie", "ångström"])
    assert ids.dtype == np.int64
    assert ids[0] == ids[2] and len(set(ids.tolist())) == 3
    assert np.all(ids >= 0) and np.all(ids < 2**62)
    # a fixed value: if this changes, every saved segment's ids stop matching new queries
    assert int(term_ids(["curie"])[0]) == 0x3FFFFFFFFFFFFFFF & int.from_bytes(
        hashlib.blake2b(b"curie", digest_size=8).digest(), "little"
    )
    assert term_ids([]).shape == (0,)


def test_term_counts_layout_and_mmap_round_trip(tmp_path):
    counts = term_counts(["radium radium polonium", "", "the radium"])
    np.testing.assert_array_equal(counts.indptr, [0, 2, 2, 3])
    np.testing.assert_array_equal(counts.lengths, [3, 0, 1])
    assert counts.terms.dtype == np.int64 and counts.counts.dtype == np.int32
    first = counts.terms[:2]
    assert np.all(np.diff(first) > 0)
    by_term = dict(zip(first.tolist(), counts.counts[:2].tolist()))
    assert by_term[int(term_ids(["radium"])[0])] == 2 and by_term[int(term_ids(["polonium"])[0])] == 1
    for field in ("indptr", "terms", "counts", "lengths"):
        np.save(tmp_path / f"{field}.npy", getattr(counts, field))
    loaded = TermCounts(*(np.load(tmp_path / f"{f}.npy", mmap_mode="r") for f in ("indptr", "terms", "counts", "lengths")))
    np.testing.assert_array_equal(BM25Scorer([loaded]).scores("radium"), BM25Scorer([counts]).scores("radium"))


def test_bad_live_mask():
    with pytest.raises(HippoError):
        BM25Scorer([term_counts(CORPUS)], np.ones(3, dtype=bool))
    with pytest.raises(HippoError):
        BM25Scorer([term_counts(CORPUS)], np.ones(len(CORPUS)))
