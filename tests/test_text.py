"""Pure text helpers: phrase keys, and text made safe for a terminal."""

from __future__ import annotations

import pytest

from hipporag_like.text import normalize_phrase, printable

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
             "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_invisible_characters_do_not_split_phrase_keys(char):
    assert normalize_phrase(f"{char}The Kelp{char}stone Institute{char}") == "kelpstone institute"


def test_normalize_phrase_keeps_what_it_kept():
    assert normalize_phrase("  The Salt-Ledger  ") == "salt ledger"
    assert normalize_phrase("Café Zürich") == "café zürich"


def test_printable_drops_escape_sequences_and_control_characters():
    raw = "a\x1b[31mred\x1b[0m \x1b]0;pwned\x07title\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x9b2J\x00\x08\r\x7f|\u202egnp.exe"
    shown = printable(raw)
    assert shown == "ared titlelink 2J|gnp.exe"
    assert all(ch in "\t\n" or (ch.isprintable()) for ch in shown)
    assert printable("line one\n\tline two") == "line one\n\tline two"  # tab and newline stay
