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
loaded once per process, on first use (about a second), into two sets and a dict of
the few thousand names that are also everyday words.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Philter's set file holds three arrays, one a line: nonames, firstnames, lastnames.
_PHILTER_SETS = ("filters", "set.toml")
_SPELLCHECKER_WORDS = ("resources", "en.json.gz")
_QUOTED = re.compile(r'"([^"\\]*)"')


@dataclass(frozen=True)
class Lexicon:
    """Names and how common each name is as an ordinary English word."""

    first_names: frozenset[str]
    last_names: frozenset[str]
    # Everyday-English frequency of the names that are also words (absent: not a word).
    word_frequency: dict[str, int]
    # The names that Philter's own list also calls safe in clinical notes ("tran", "foley").
    clinical_words: frozenset[str]

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
    sets = _philter_sets()
    first, last = sets["firstnames"], sets["lastnames"]
    english = _english_frequencies()
    frequencies = {word: _frequency(word, english) for word in first | last}
    names_that_are_words = {word: count for word, count in frequencies.items() if count}
    return Lexicon(
        first_names=first,
        last_names=last,
        word_frequency=names_that_are_words,
        # Only the names on it are ever looked up: keeping just those saves 20 MB.
        clinical_words=sets["nonames"] & (first | last),
    )
