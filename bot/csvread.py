"""Reading CSV files people export from hospital systems: the parts every import shares.

A roster (`bot.roster.read`) and a rota (`bot.rota.read`) arrive the same way — saved
from Excel or a scheduling system, in whatever encoding and separator the machine
used — and differ only in their columns. Decoding, finding the separator, and numbering
records by the file line they start on live here, once.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence

DELIMITERS = (",", ";", "\t", "|")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as text; the message says what to do."""


def decode_csv(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), UTF-16 from Excel, or cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in the machine's code page; cp1252 maps every
            # byte Western exports use (names with accents, smart quotes).
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise UnreadableFile(
            "That file doesn't look like a CSV (it holds binary data). In Excel use File → Save As → "
            "CSV UTF-8, then upload that."
        )
    return text


def detect_delimiter(text: str, score: Callable[[Sequence[Sequence[str]]], int]) -> str:
    """Comma, semicolon, tab or pipe: whichever gives the first lines the best `score`.

    `score` rates the rows a delimiter produces (the roster counts rows with two
    addresses in two cells); ties go to the delimiter that splits the most rows.
    """
    sample = [line for line in text.splitlines() if line.strip()][:25]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(sample, delimiter=delimiter, skipinitialspace=True))
        rated = (score(rows), sum(1 for row in rows if len(row) >= 2))
        if rated > best_score:
            best, best_score = delimiter, rated
    return best


def open_csv(text: str, score: Callable[[Sequence[Sequence[str]]], int]) -> tuple[io.StringIO, int, str]:
    """(stream, lines already read, delimiter): the stream positioned at the first row."""
    # newline="" hands csv the line endings untouched, as its documentation asks, so
    # quoted fields may hold line breaks and "\r\n" files read right.
    stream = io.StringIO(text, newline="")
    first = stream.readline().strip()
    if first.lower().startswith("sep=") and len(first) == 5:
        # Excel's "sep=;" first line names the delimiter outright.
        return stream, 1, first[4]
    stream.seek(0)
    return stream, 0, detect_delimiter(text[:65536], score)


def numbered_records(stream: io.StringIO, delimiter: str, start: int) -> Iterator[tuple[int, list[str]]]:
    """Each record that holds something, with the file line it starts on.

    A quoted field may span lines, so the number comes from where the previous record
    ended, not from counting records.
    """
    reader = csv.reader(stream, delimiter=delimiter, skipinitialspace=True)
    previous_end = start
    for record in reader:
        line = previous_end + 1
        previous_end = start + reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines and lines of empty cells (",,,") are layout, not data
        yield line, record
