"""The one way to read what a person submitted in a modal.

Slack sends a submitted view's inputs as `view.state.values[block_id][action_id]`, each
element shaped by its type (a text input has `value`, a select `selected_option`,
checkboxes `selected_options`, a time picker `selected_time`…). Every modal here gives
an input's element the same id as its block, but a reader should not depend on it, and
a payload is data from outside: a block may be missing, a value may be a number, a list
or null where a string belongs (an old client, a forged request). Reading goes through
:class:`ModalState`, which never raises on odd input: whatever is not of the expected
shape reads as "nothing chosen", and the feature's own validation then says what is
missing, beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _option_value(option: Any) -> str | None:
    return _text(_mapping(option).get("value"))


class ModalState:
    """Typed, forgiving access to one submitted view's `state.values`."""

    def __init__(self, values: Any) -> None:
        self._values = _mapping(values)

    @classmethod
    def of_view(cls, view: Any) -> ModalState:
        """The state of a `view` object (as in a `view_submission` payload)."""
        return cls(_mapping(_mapping(view).get("state")).get("values"))

    def has(self, block_id: str) -> bool:
        """Whether the submitted view had this block at all (forms differ by role)."""
        return isinstance(self._values.get(block_id), Mapping)

    def element(self, block_id: str) -> Mapping[str, Any]:
        """The element state in a block: the one whose action id is the block id, else the
        block's only element; empty when neither exists."""
        block = _mapping(self._values.get(block_id))
        if block_id in block:
            return _mapping(block[block_id])
        if len(block) == 1:
            return _mapping(next(iter(block.values())))
        return {}

    def text(self, block_id: str) -> str:
        """A text input's value, stripped; "" when empty or not text."""
        return (_text(self.element(block_id).get("value")) or "").strip()

    def raw_text(self, block_id: str) -> str:
        """A text input's value exactly as typed; "" when empty or not text."""
        return _text(self.element(block_id).get("value")) or ""

    def selected(self, block_id: str) -> str | None:
        """A single select's (or radio group's) chosen value."""
        return _option_value(self.element(block_id).get("selected_option"))

    def selected_many(self, block_id: str) -> list[str]:
        """Checkboxes' or a multi-select's chosen values, in the order Slack sent them."""
        options = self.element(block_id).get("selected_options")
        if not isinstance(options, list):
            return []
        return [value for option in options if (value := _option_value(option)) is not None]

    def time(self, block_id: str) -> str | None:
        """A time picker's `HH:MM`."""
        return _text(self.element(block_id).get("selected_time"))

    def date(self, block_id: str) -> str | None:
        """A date picker's `YYYY-MM-DD`."""
        return _text(self.element(block_id).get("selected_date"))

    def files(self, block_id: str) -> list[Mapping[str, Any]]:
        """A file input's files (each a mapping with at least an `id`)."""
        files = self.element(block_id).get("files")
        if not isinstance(files, list):
            return []
        return [f for f in files if isinstance(f, Mapping) and isinstance(f.get("id"), str)]
