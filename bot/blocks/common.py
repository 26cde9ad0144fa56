"""Small building blocks shared by every message and view."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.models.core import is_former_member

# Slack's published limits, checked here so a long roster or note fails in tests, not
# in a program director's Slack.
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
BUTTON_TEXT_LIMIT = 75

# Buttons and modals whose action or callback id starts with this can lead to an
# anonymous post, so their log line leaves the user out: "user U clicked at 10:03:12"
# beside a channel message "A colleague shared:" at 10:03:13 would undo the anonymity.
UNATTRIBUTED_PREFIX = "anon:"


def escape(text: str) -> str:
    """Make typed text safe inside mrkdwn: `&`, `<` and `>` are the only characters Slack
    needs escaped, and unescaped they could turn into mentions (`<!channel>`) or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str, *, former: str = "a former member") -> str:
    """`<@U…>` for a Slack member; `former` where someone asked to be forgotten (their
    place in another person's history keeps a placeholder, not their id)."""
    return former if is_former_member(user_id) else f"<@{user_id}>"


def clip(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> HeaderBlock:
    """A bold heading line."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_TEXT_LIMIT), emoji=True))


def section(markdown: str, **kwargs: Any) -> SectionBlock:
    """A paragraph of mrkdwn text."""
    return SectionBlock(text=MarkdownTextObject(text=clip(markdown, SECTION_TEXT_LIMIT)), **kwargs)


def context(*markdown: str) -> ContextBlock:
    """Small grey print under a message."""
    return ContextBlock(
        elements=[MarkdownTextObject(text=clip(m, SECTION_TEXT_LIMIT)) for m in markdown[:10]]
    )


def divider() -> DividerBlock:
    """A horizontal rule."""
    return DividerBlock()


def to_dicts(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """Serialise blocks for the Web API (this also runs slack_sdk's own validation)."""
    return [block.to_dict() for block in blocks]


def chunk_lines(lines: Sequence[str], limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Join lines into as few texts as fit under `limit` characters each."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Cut already-escaped mrkdwn into pieces of at most `limit` characters, losing nothing.

    Cuts fall at a line break if there is one in the second half of a piece, else at a
    space, else anywhere — but never inside `&amp;`, `&lt;` or `&gt;`, which Slack would
    then show as stray characters. The break character itself is dropped.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit + 1)
        if cut == -1:
            cut = rest.rfind(" ", limit // 2, limit + 1)
        if cut != -1:
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
            continue
        cut = limit
        entity = rest.rfind("&", max(0, cut - len("&amp;") + 1), cut)
        if entity != -1 and ";" not in rest[entity:cut]:
            cut = entity  # the entity would straddle the cut: start the next piece with it
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces
