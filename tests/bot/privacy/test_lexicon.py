"""The compact word sets the name lists are kept in."""

from __future__ import annotations

from bot.privacy.lexicon import WordCounts, WordSet, load_lexicon


def test_a_word_set_holds_exactly_its_words():
    words = WordSet(["maria", "chen", "okafor", "chen"])

    assert len(words) == 3
    assert "maria" in words and "okafor" in words
    assert "mari" not in words and "mariaa" not in words and "" not in words
    assert words.index("zzz") == -1


def test_an_empty_word_set_finds_nothing():
    assert "anything" not in WordSet([])
    assert WordCounts({}).get("anything") == 0


def test_word_counts_return_each_words_own_count():
    counts = WordCounts({"will": 900, "grace": 40, "brown": 75})

    assert [counts.get(word) for word in ("will", "grace", "brown")] == [900, 40, 75]
    assert counts.get("furosemide") == 0 and counts.get("furosemide", -1) == -1
    assert len(counts) == 3


def test_the_loaded_lexicon_answers_as_the_lists_say():
    lexicon = load_lexicon()

    # "will" is a first name and a very common word; "okonkwo" a surname and no word.
    assert "will" in lexicon.first_names and lexicon.frequency("will") > 100_000
    assert lexicon.is_name("okonkwo") and lexicon.frequency("okonkwo") == 0
    assert not lexicon.is_name("metoprolol")
