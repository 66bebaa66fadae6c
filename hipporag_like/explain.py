"""Why a passage came back, drawn: `explain_svg(result, i)` is a self-contained SVG string.

Four columns, left to right: the question; the facts it matched (with their similarity); the
phrases those facts and the walk's seeds name (seeds drawn bold, with their reset weight); the
passage. An edge joins the question to each fact, a fact to its subject and object, and a
phrase to the passage when the passage holds it. Pure: no I/O, no state, escaped text only.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .results import RetrievalResult

_WIDTH = 980
_COLUMNS = (20, 250, 560, 790)  # left edges of: question, facts, phrases, passage
_BOX = (190, 270, 190, 170)  # widths
_ROW = 34
_TOP = 44
_MAX_ROWS = 10


def _clip(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def explain_svg(result: RetrievalResult, passage_index: int) -> str:
    """The subgraph that brought passage `passage_index` (0-based) of `result`, as SVG text."""
    if not 0 <= passage_index < len(result.passages):
        raise IndexError(f"passage_index {passage_index} is outside 0..{len(result.passages) - 1}")
    hit = result.passages[passage_index]
    facts = list(hit.why.facts[:_MAX_ROWS])
    seeds = {s.phrase: s.weight for s in hit.why.seed_phrases}
    phrases: list[str] = []
    for phrase in [s.phrase for s in hit.why.seed_phrases] + [p for f in facts for p in (f.subject, f.object)]:
        if phrase not in phrases:
            phrases.append(phrase)
    phrases = phrases[:_MAX_ROWS]
    rows = max(len(facts), len(phrases), 1)
    height = _TOP + rows * _ROW + 40
    mid = _TOP + (rows * _ROW) / 2 - _ROW / 2

    def y_of(i: int, count: int) -> float:
        return _TOP + (rows - count) * _ROW / 2 + i * _ROW

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hl-explain" width="{_WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {_WIDTH} {height:.0f}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(_clip(f'Why passage {passage_index + 1}: {hit.title or hit.id}', 200))}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for x, label in zip(_COLUMNS, ("question", "facts matched", "phrases (seeds bold)", "passage")):
        parts.append(f'<text x="{x}" y="22" fill="#555" font-weight="bold">{label}</text>')
    edges: list[str] = []
    nodes: list[str] = []

    def box(x: int, y: float, w: int, text: str, kind: str, full: str, bold: bool = False, chars: int = 30) -> None:
        fill = {"question": "#e8f0fe", "fact": "#fef7e0", "phrase": "#e6f4ea", "seed": "#ceead6", "passage": "#fce8e6"}[kind]
        weight = ' font-weight="bold"' if bold else ""
        nodes.append(f'<g class="node {kind}" data-label="{_attr(full)}"><title>{escape(full)}</title>'
                     f'<rect x="{x}" y="{y:.1f}" width="{w}" height="{_ROW - 8}" rx="6" fill="{fill}" stroke="#888"/>'
                     f'<text x="{x + 6}" y="{y + 17:.1f}"{weight}>{escape(_clip(text, chars))}</text></g>')

    def edge(x1: float, y1: float, x2: float, y2: float, label: str = "", strong: bool = False) -> None:
        width = 2.2 if strong else 1.0
        edges.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#999" stroke-width="{width}"/>')
        if label:
            edges.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 3:.1f}" fill="#777" font-size="10">{escape(label)}</text>')

    half = (_ROW - 8) / 2
    box(_COLUMNS[0], mid, _BOX[0], result.query, "question", result.query, chars=28)
    phrase_y = {p: y_of(i, len(phrases)) for i, p in enumerate(phrases)}
    for i, fact in enumerate(facts):
        y = y_of(i, len(facts))
        text = f"{fact.subject} \u2014 {fact.relation} \u2014 {fact.object}"
        box(_COLUMNS[1], y, _BOX[1], text, "fact", text, chars=42)
        edge(_COLUMNS[0] + _BOX[0], mid + half, _COLUMNS[1], y + half, f"{fact.score:.2f}")
        for end in (fact.subject, fact.object):
            if end in phrase_y:
                edge(_COLUMNS[1] + _BOX[1], y + half, _COLUMNS[2], phrase_y[end] + half)
    passage_y = mid
    for phrase, y in phrase_y.items():
        seed = phrase in seeds
        label = f"{phrase}  ({seeds[phrase]:.2f})" if seed else phrase
        box(_COLUMNS[2], y, _BOX[2], label, "seed" if seed else "phrase", phrase, bold=seed)
        if not facts and seed:
            edge(_COLUMNS[0] + _BOX[0], mid + half, _COLUMNS[2], y + half, f"{seeds[phrase]:.2f}", strong=True)
        edge(_COLUMNS[2] + _BOX[2], y + half, _COLUMNS[3], passage_y + half, strong=seed)
    title = hit.title or hit.id
    box(_COLUMNS[3], passage_y, _BOX[3], f"#{passage_index + 1} {title}", "passage", f"{title}: {hit.text}", bold=True, chars=24)
    score = f"score {hit.score:.4g}" + (f", dense {hit.why.dense_score:.3f}" if hit.why.dense_score is not None else "")
    nodes.append(f'<text x="{_COLUMNS[3]}" y="{passage_y + _ROW + 8:.1f}" fill="#555" font-size="11">{escape(score)}</text>')
    if not facts and not phrases:
        nodes.append(f'<text x="{_COLUMNS[1]}" y="{mid + 17:.1f}" fill="#777">no facts or seed phrases: found by dense or '
                     f'lexical similarity alone</text>')
    parts += edges + nodes + ["</svg>"]
    return "\n".join(parts)


__all__ = ["explain_svg"]
