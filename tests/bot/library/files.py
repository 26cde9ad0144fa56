"""Point `bot.library` at a small library file for the length of a `with` block.

The built-in library is read once and cached; tests that need a retired key, or a
practice with a single nudge, write their own file and read it through this helper,
which puts the real file (and a fresh cache) back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.library import catalogue as library

# One nudge per practice, plus a retired one: the smallest library that covers them all.
TINY_LIBRARY = """
nudges:
  - {key: care.only, practice: care, text: "Ask {mentee} how they are."}
  - {key: care.old-wording, practice: care, text: "An old nudge.", retired: true}
  - {key: no_ego.only, practice: no_ego, text: "Let {mentee} go first."}
  - {key: mistakes_ok.only, practice: mistakes_ok, text: "Offer a calm debrief."}
  - {key: own_errors.only, practice: own_errors, text: "Share a call you got wrong."}
  - {key: listen.only, practice: listen, text: "Book fifteen minutes."}
  - {key: autonomy.only, practice: autonomy, text: "Let {mentee} lead one decision."}
"""


@contextmanager
def library_file(tmp_path: Path, text: str = TINY_LIBRARY) -> Iterator[Path]:
    """Make `builtin_nudges()` read `text` inside the block."""
    path = tmp_path / "nudges.yaml"
    path.write_text(text, encoding="utf-8")
    original = library.CONTENT
    library.CONTENT = path
    library.builtin_nudges.cache_clear()
    try:
        yield path
    finally:
        library.CONTENT = original
        library.builtin_nudges.cache_clear()
