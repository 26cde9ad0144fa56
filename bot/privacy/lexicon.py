"""The name and word lists the screen reads, from packages installed with the app.

- **Names**: philter-lite (a maintained fork of UCSF's Philter clinical PHI filter)
  ships the first-name and last-name lists Philter uses, about 97,000 and 161,000
  entries. Only its data file is read: importing philter-lite itself would pull in
  NLTK, whose tagger it needs is downloaded at run time, which hospitals running
  offline cannot do.
- **How common a word is**: pyspellchecker ships an English word-frequency list. A word
  that is also a name ("Will", "Grace", "Brown") is read as a name only where the
  context says so.

Both are plain files inside installed packages: nothing is fetched, ever. They are
loaded once per process, on first use (about a second). What is kept is compact: each
list is a sorted array of the words' 64-bit hashes, and the everyday frequency of the
names that are also words an array beside its own hashes — about 3 MiB in all, where
Python sets of the 260,000 strings held 30 MiB and kept most of the loading's 78 MiB
peak resident in every web worker (no string from the files outlives the loading, so
the memory it used goes back to the system).
"""

from __future__ import annotations

import gc
import gzip
import importlib.util
import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Philter's set file holds three arrays, one a line: nonames, firstnames, lastnames.
_PHILTER_SETS = ("filters", "set.toml")
_SPELLCHECKER_WORDS = ("resources", "en.json.gz")
_QUOTED = re.compile(r'"([^"\\]*)"')


class WordSet:
    """A set of lower-case words kept as their sorted hashes: `word in words` and len().

    Python's str hash is 64 bits and salted per process; the set is built in the process
    that reads it (gunicorn's workers fork from the master that built it, keeping the
    salt), so hashing at build time and at look-up agree. Two different words sharing a
    hash is about a 1 in 10^14 chance per look-up at this size: negligible beside the
    screen's own misses.
    """

    __slots__ = ("_hashes",)

    def __init__(self, words: Iterable[str]) -> None:
        self._hashes = array("q", sorted({hash(word) for word in words}))

    def __contains__(self, word: object) -> bool:
        key = hash(word)
        at = bisect_left(self._hashes, key)
        return at < len(self._hashes) and self._hashes[at] == key

    def __len__(self) -> int:
        return len(self._hashes)

    def index(self, word: str) -> int:
        """Where `word`'s hash sits in the sorted hashes (-1: not in the set)."""
        key = hash(word)
        at = bisect_left(self._hashes, key)
        return at if at < len(self._hashes) and self._hashes[at] == key else -1


class WordCounts:
    """Words with a count each, kept as sorted hashes and an array of counts beside them."""

    __slots__ = ("_counts", "_words")

    def __init__(self, counts: dict[str, int]) -> None:
        self._words = WordSet(counts)
        by_hash = {hash(word): count for word, count in counts.items()}
        self._counts = array("Q", (by_hash[key] for key in self._words._hashes))

    def get(self, word: str, default: int = 0) -> int:
        """The count of `word`, or `default` when it has none."""
        at = self._words.index(word)
        return self._counts[at] if at >= 0 else default

    def __len__(self) -> int:
        return len(self._words)


@dataclass(frozen=True)
class Lexicon:
    """Names and how common each name is as an ordinary English word."""

    first_names: WordSet
    last_names: WordSet
    # Everyday-English frequency of the names that are also words (absent: not a word).
    word_frequency: WordCounts
    # The names that Philter's own list also calls safe in clinical notes ("tran", "foley").
    clinical_words: WordSet

    def is_name(self, word: str) -> bool:
        """Whether `word` (lower case) is on either name list."""
        return word in self.first_names or word in self.last_names

    def frequency(self, word: str) -> int:
        """How often `word` appears in everyday English (0: never, or not a name)."""
        return self.word_frequency.get(word, 0)


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {package} package is not installed (pip install .)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def _philter_sets() -> dict[str, frozenset[str]]:
    sets: dict[str, frozenset[str]] = {}
    with _package_file("philter_lite", *_PHILTER_SETS).open(encoding="utf-8") as lines:
        for line in lines:
            key, _, values = line.partition("=")
            if values:
                sets[key.strip()] = frozenset(word.lower() for word in _QUOTED.findall(values))
    return sets


def _english_frequencies() -> dict[str, int]:
    with gzip.open(_package_file("spellchecker", *_SPELLCHECKER_WORDS), "rt", encoding="utf-8") as data:
        loaded = json.load(data)
    return {word: int(count) for word, count in loaded.items() if isinstance(count, int)}


# British spellings the (American) frequency list counts under another spelling:
# "favour" is as common a word as "favor", not a rare name.
_BRITISH_ENDINGS = (
    ("our", "or"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("yse", "yze"),
    ("tre", "ter"),
    ("ogue", "og"),
)


def _frequency(word: str, english: dict[str, int]) -> int:
    count = english.get(word, 0)
    for british, american in _BRITISH_ENDINGS:
        if word.endswith(british):
            count = max(count, english.get(word[: -len(british)] + american, 0))
    return count


@cache
def load_lexicon() -> Lexicon:
    """The lists, loaded once per process."""
    lexicon = _build_lexicon()
    # The loading's strings are garbage now; collecting them at once lets the allocator
    # hand their arenas back before the process (a preloading gunicorn master) forks.
    gc.collect()
    return lexicon


def _build_lexicon() -> Lexicon:
    sets = _philter_sets()
    first, last = sets["firstnames"], sets["lastnames"]
    english = _english_frequencies()
    frequencies = {word: _frequency(word, english) for word in first | last}
    names_that_are_words = {word: count for word, count in frequencies.items() if count}
    return Lexicon(
        first_names=WordSet(first),
        last_names=WordSet(last),
        word_frequency=WordCounts(names_that_are_words),
        # Only the names on it are ever looked up.
        clinical_words=WordSet(sets["nonames"] & (first | last)),
    )
