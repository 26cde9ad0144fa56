"""Slack's Block Kit limits, as the fake Slack enforces them.

Written independently of `slack_sdk.models` on purpose: if our builders and this file
disagree, a test fails here instead of a message failing in a hospital's Slack.
Numbers are from Slack's Block Kit reference (blocks, elements, composition objects,
surfaces).
"""

from __future__ import annotations

from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40000

TEXT_INPUT_TYPES = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
}
SELECT_TYPES = {
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
}
INPUT_ELEMENTS = (
    TEXT_INPUT_TYPES
    | SELECT_TYPES
    | {"checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker", "file_input"}
)
ACTION_ELEMENTS = (
    SELECT_TYPES
    | {"button", "overflow", "checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker"}
    | TEXT_INPUT_TYPES
)
ACCESSORY_ELEMENTS = {
    "button",
    "overflow",
    "image",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
} | (SELECT_TYPES)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{message} [json-pointer:{path}]")

    def text(
        self, obj: Any, path: str, *, limit: int, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.fail(path, "missing required field: text")
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail(path, "must be a text object (plain_text or mrkdwn)")
            return
        if plain_only and obj["type"] != "plain_text":
            self.fail(path + "/type", "must be plain_text")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail(path + "/text", "must be a non-empty string")
        elif len(value) > limit:
            self.fail(path + "/text", f"must be less than {limit + 1} characters")

    def length(self, value: Any, path: str, limit: int) -> None:
        if value is not None and len(str(value)) > limit:
            self.fail(path, f"must be less than {limit + 1} characters")

    def option(self, option: Any, path: str) -> None:
        if not isinstance(option, dict):
            self.fail(path, "must be an option object")
            return
        self.text(option.get("text"), path + "/text", limit=75)
        self.length(option.get("value"), path + "/value", 150)
        if option.get("description") is not None:
            self.text(option["description"], path + "/description", limit=75)

    def options(self, options: Any, path: str, *, limit: int, required: bool = True) -> None:
        if options is None:
            if required:
                self.fail(path, "missing required field: options")
            return
        if not isinstance(options, list) or not options:
            self.fail(path, "must have at least one option")
            return
        if len(options) > limit:
            self.fail(path, f"must have no more than {limit} items")
        for i, option in enumerate(options):
            self.option(option, f"{path}/{i}")

    def option_groups(self, groups: Any, path: str) -> None:
        # Up to 100 groups, each with a plain_text label (75) and up to 100 options.
        if not isinstance(groups, list) or not groups:
            self.fail(path, "must have at least one option group")
            return
        if len(groups) > 100:
            self.fail(path, "must have no more than 100 items")
        for i, group in enumerate(groups):
            if not isinstance(group, dict):
                self.fail(f"{path}/{i}", "must be an option group object")
                continue
            self.text(group.get("label"), f"{path}/{i}/label", limit=75, plain_only=True)
            self.options(group.get("options"), f"{path}/{i}/options", limit=100)

    def element(self, element: Any, path: str, allowed: set[str]) -> None:
        if not isinstance(element, dict):
            self.fail(path, "must be an element object")
            return
        kind = element.get("type")
        if kind not in allowed:
            self.fail(path + "/type", f"element type {kind!r} is not allowed here")
            return
        self.length(element.get("action_id"), path + "/action_id", 255)
        if element.get("placeholder") is not None:
            self.text(element["placeholder"], path + "/placeholder", limit=150, plain_only=True)
        if kind == "button":
            self.text(element.get("text"), path + "/text", limit=75, plain_only=True)
            self.length(element.get("value"), path + "/value", 2000)
            self.length(element.get("url"), path + "/url", 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(path + "/style", "must be primary or danger")
        elif kind in ("static_select", "multi_static_select"):
            if element.get("option_groups") is None:
                self.options(element.get("options"), path + "/options", limit=100)
            else:
                self.option_groups(element["option_groups"], path + "/option_groups")
        elif kind == "overflow":
            self.options(element.get("options"), path + "/options", limit=5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(element.get("options"), path + "/options", limit=10)
        elif kind == "plain_text_input":
            max_length = element.get("max_length")
            if max_length is not None and not 1 <= int(max_length) <= 3000:
                self.fail(path + "/max_length", "must be between 1 and 3000")
            self.length(element.get("initial_value"), path + "/initial_value", 3000)
        elif kind == "file_input":
            max_files = element.get("max_files")
            if max_files is not None and not 1 <= int(max_files) <= 10:
                self.fail(path + "/max_files", "must be between 1 and 10")
        elif kind == "image":
            self.length(element.get("alt_text"), path + "/alt_text", 2000)

    def block(self, block: Any, path: str, *, in_view: bool) -> None:
        if not isinstance(block, dict):
            self.fail(path, "must be a block object")
            return
        kind = block.get("type")
        self.length(block.get("block_id"), path + "/block_id", 255)
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                self.fail(path, "must provide text or fields")
            if block.get("text") is not None:
                self.text(block["text"], path + "/text", limit=3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.fail(path + "/fields", "must have no more than 10 items")
            for i, field in enumerate(fields):
                self.text(field, f"{path}/fields/{i}", limit=2000)
            if block.get("accessory") is not None:
                self.element(block["accessory"], path + "/accessory", ACCESSORY_ELEMENTS)
        elif kind == "header":
            self.text(block.get("text"), path + "/text", limit=150, plain_only=True)
        elif kind == "divider":
            pass
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements:
                self.fail(path + "/elements", "must have at least one item")
            if len(elements) > 10:
                self.fail(path + "/elements", "must have no more than 10 items")
            for i, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    self.length(element.get("alt_text"), f"{path}/elements/{i}/alt_text", 2000)
                else:
                    self.text(element, f"{path}/elements/{i}", limit=3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements:
                self.fail(path + "/elements", "must have at least one item")
            if len(elements) > 25:
                self.fail(path + "/elements", "must have no more than 25 items")
            action_ids = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id")]
            if len(action_ids) != len(set(action_ids)):
                self.fail(path + "/elements", "action_id values must be unique within a block")
            for i, element in enumerate(elements):
                self.element(element, f"{path}/elements/{i}", ACTION_ELEMENTS)
        elif kind == "input":
            if not in_view:
                self.fail(path + "/type", "input blocks are only allowed in modals and App Home")
            self.text(block.get("label"), path + "/label", limit=2000, plain_only=True)
            if block.get("hint") is not None:
                self.text(block["hint"], path + "/hint", limit=2000, plain_only=True)
            self.element(block.get("element"), path + "/element", INPUT_ELEMENTS)
        elif kind == "image":
            self.length(block.get("alt_text"), path + "/alt_text", 2000)
            self.length(block.get("image_url"), path + "/image_url", 3000)
        elif kind == "rich_text":
            pass
        else:
            self.fail(path + "/type", f"unknown block type {kind!r}")

    def blocks(self, blocks: Any, path: str, *, limit: int, in_view: bool) -> None:
        if not isinstance(blocks, list):
            self.fail(path, "must be an array of blocks")
            return
        if len(blocks) > limit:
            self.fail(path, f"must have no more than {limit} items")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{path}/{i}", in_view=in_view)
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if block_id:
                if block_id in seen:
                    self.fail(f"{path}/{i}/block_id", f"duplicate block_id {block_id!r}")
                seen.add(block_id)


def message_errors(text: Any, blocks: Any) -> list[str]:
    """Problems Slack would report for a message with this text and blocks."""
    checker = _Checker()
    if blocks is not None:
        checker.blocks(blocks, "/blocks", limit=MESSAGE_MAX_BLOCKS, in_view=False)
    if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
        checker.fail("/text", f"must be less than {MESSAGE_TEXT_MAX + 1} characters")
    return checker.errors


def view_errors(view: Any) -> list[str]:
    """Problems Slack would report for a modal or Home tab view."""
    checker = _Checker()
    if not isinstance(view, dict):
        return ["view must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("/view/type", "must be modal or home")
    checker.blocks(view.get("blocks"), "/view/blocks", limit=VIEW_MAX_BLOCKS, in_view=True)
    checker.length(view.get("private_metadata"), "/view/private_metadata", 3000)
    checker.length(view.get("callback_id"), "/view/callback_id", 255)
    checker.length(view.get("external_id"), "/view/external_id", 255)
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", limit=24, plain_only=True)
        for button in ("submit", "close"):
            if view.get(button) is not None:
                checker.text(view[button], f"/view/{button}", limit=24, plain_only=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and view.get("submit") is None:
            checker.fail("/view/submit", "a modal with input blocks needs a submit button")
    return checker.errors
