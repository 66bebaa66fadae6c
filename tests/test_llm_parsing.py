"""The tolerant parser: each way a model mangles JSON, and what must stay an error."""

from __future__ import annotations

import pytest

from hipporag_like.llm.parsing import ParseError, find_values, parse_entities, parse_triples


def test_clean_json() -> None:
    assert parse_entities('{"named_entities": ["Ada Quell", "Brisk Harbour"]}') == ["Ada Quell", "Brisk Harbour"]
    parsed = parse_triples('{"triples": [["Ada Quell", "founded", "Brisk Harbour"]]}')
    assert parsed.triples == [("Ada Quell", "founded", "Brisk Harbour")]
    assert (parsed.dropped, parsed.truncated) == (0, False)


def test_code_fence_with_prose_around() -> None:
    text = 'Sure! Here is the JSON:\n```json\n{"named_entities": ["Ada Quell"]}\n```\nAnything else?'
    assert parse_entities(text) == ["Ada Quell"]


def test_fence_without_language_and_unclosed() -> None:
    assert parse_entities('```\n{"named_entities": ["A"]}\n```') == ["A"]
    assert parse_entities('```json\n{"named_entities": ["A", "B"]}') == ["A", "B"]


def test_leading_and_trailing_text_without_fence() -> None:
    text = 'The entities are {listed} below.\n{"named_entities": ["Corvin Ash"]} Hope this helps {:)}'
    assert parse_entities(text) == ["Corvin Ash"]


def test_single_quotes_and_apostrophes() -> None:
    text = "{'named_entities': ['Ysolde Marrak', 'Marrak's Ferry', \"O'Dell\"]}"
    assert parse_entities(text) == ["Ysolde Marrak", "Marrak's Ferry", "O'Dell"]
    parsed = parse_triples("{'triples': [['Ysolde Marrak', 'founded', 'Marrak's Ferry'],]}")
    assert parsed.triples == [("Ysolde Marrak", "founded", "Marrak's Ferry")]


def test_python_literals_bare_keys_and_trailing_commas() -> None:
    assert parse_entities('{named_entities: ["A", "B",],}') == ["A", "B"]
    assert next(iter(find_values("{'a': True, 'b': None, 'c': [1, 2.5]}"))).value == {"a": True, "b": None, "c": [1, 2.5]}


def test_truncated_entity_list_keeps_complete_items() -> None:
    assert parse_entities('{"named_entities": ["Orrin Vale", "Calder Hall", "The Sal') == ["Orrin Vale", "Calder Hall"]


def test_truncated_triples_keep_complete_triples() -> None:
    text = '{"triples": [["Orrin Vale", "composed", "The Salt Hymn"], ["The Salt Hymn", "premiered at", "Calder Hall"], ["Orrin Vale", "was bo'
    parsed = parse_triples(text)
    assert parsed.triples == [("Orrin Vale", "composed", "The Salt Hymn"), ("The Salt Hymn", "premiered at", "Calder Hall")]
    assert parsed.truncated and parsed.dropped == 0


def test_truncated_inside_an_escape_or_number() -> None:
    assert parse_entities('{"named_entities": ["A", "B\\') == ["A"]
    assert parse_triples('{"triples": [["A", "r", "B"], ["A", "born", 19').triples == [("A", "r", "B")]


def test_malformed_triples_are_dropped_and_counted() -> None:
    text = (
        '{"triples": [["A", "r", "B"], ["A", "r"], ["A", null, "B"], ["A", ["x"], "B"], '
        '["A", "r", "B", "C"], {"s": "A"}, "A r B", ["A", "", "B"], ["A", true, "B"]]}'
    )
    parsed = parse_triples(text)
    assert parsed.triples == [("A", "r", "B")]
    assert parsed.dropped == 8


def test_numbers_in_triples_become_text() -> None:
    assert parse_triples('{"triples": [["Harrowgate Lighthouse", "built in", 1871]]}').triples == [
        ("Harrowgate Lighthouse", "built in", "1871")
    ]


def test_bare_lists_and_key_variants() -> None:
    assert parse_entities('["A", "B"]') == ["A", "B"]
    assert parse_entities('{"entities": ["A"]}') == ["A"]
    assert parse_triples('[["A", "r", "B"]]').triples == [("A", "r", "B")]
    assert parse_triples('{"triplets": [["A", "r", "B"]]}').triples == [("A", "r", "B")]


def test_entities_are_cleaned_and_deduplicated() -> None:
    assert parse_entities('{"named_entities": [" A ", "A", "", null, 1871, {"x": 1}, "B"]}') == ["A", "1871", "B"]


def test_empty_lists_are_valid_answers() -> None:
    assert parse_entities('{"named_entities": []}') == []
    assert parse_triples('{"triples": []}').triples == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty answer"),
        (None, "empty answer"),
        ("I'm sorry, but I can't help with that request.", "no named_entities list found"),
        ('{"named_entities": "Ada"}', "no named_entities list found"),
        ('{"named_ent', "no named_entities list found"),
    ],
)
def test_unusable_entity_answers_raise(text: str | None, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_entities(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no triples here", "no triples list found"),
        ('{"triples": "none that I can see"}', "no triples list found"),
        ('{"triples": [["A", "r"], [null, "r", "B"]]}', "none of the 2 triples has three strings"),
    ],
)
def test_unusable_triple_answers_raise(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_triples(text)


def test_deep_nesting_does_not_crash() -> None:
    with pytest.raises(ParseError):
        parse_entities("[" * 5000)
