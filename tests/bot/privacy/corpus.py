"""The privacy corpus: our own sentences, with and without patient identifiers."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "privacy"


def load(name: str) -> list[tuple[str, str]]:
    """(kind, sentence) pairs from one corpus file (tab-separated; # starts a comment)."""
    pairs = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, _, sentence = line.partition("\t")
            pairs.append((kind, sentence))
    return pairs


def workspace_names() -> list[str]:
    """The people of the pretend workspace the corpus is measured in."""
    lines = (DATA / "workspace_names.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
