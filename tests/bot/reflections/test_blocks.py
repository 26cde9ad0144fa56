"""A shared reflection's post: escaped, split into sections, never clipped."""

from __future__ import annotations

import re

import pytest

from bot.blocks.common import SECTION_TEXT_LIMIT, split_text
from bot.reflections.blocks import MAX_REFLECTION_CHARS, escape, shared_post
from tests.fakes.block_limits import message_errors

BROKEN_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")


def section_texts(blocks):
    return [b["text"]["text"] for b in blocks]


@pytest.mark.parametrize(
    "text",
    [
        "<" * MAX_REFLECTION_CHARS,  # four times longer escaped
        "&" * MAX_REFLECTION_CHARS,  # five times longer escaped
        "a&" * (MAX_REFLECTION_CHARS // 2),  # entities at every offset
        ("Tea & <b>biscuits</b> > none. " * 70)[:MAX_REFLECTION_CHARS],
        "\n".join(["Listened first, & it showed."] * 70)[:MAX_REFLECTION_CHARS],
    ],
)
@pytest.mark.parametrize("user_id", ["U0MENTOR1", None])
def test_the_longest_reflection_is_posted_whole_within_slacks_limits(text, user_id):
    fallback, blocks = shared_post(text, user_id)

    assert message_errors(fallback, blocks) == []
    texts = section_texts(blocks)
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts)
    assert not any(BROKEN_ENTITY.search(t) for t in texts)  # no cut through &amp; &lt; &gt;
    heading = "*<@U0MENTOR1> shared:*" if user_id else "*A colleague shared:*"
    rejoined = "".join(texts)
    assert rejoined.startswith(heading)
    # Every character they wrote is there (cuts drop only the space or line break they fell on).
    assert re.sub(r"\s", "", rejoined) == re.sub(r"\s", "", heading + escape(text))


def test_a_short_reflection_is_one_section():
    _fallback, blocks = shared_post("Asked before telling.", None)

    assert section_texts(blocks) == ["*A colleague shared:*\nAsked before telling."]


def test_split_text_prefers_line_breaks_then_spaces():
    assert split_text("aaaa\nbbbb cc", 10) == ["aaaa\nbbbb", "cc"]
    assert split_text("aaaaaa bbbbbbb", 10) == ["aaaaaa", "bbbbbbb"]
    assert split_text("x" * 8 + "&amp;yy", 10) == ["x" * 8, "&amp;yy"]  # not through the entity
    assert split_text("short", 10) == ["short"]
    assert split_text("", 10) == [""]
