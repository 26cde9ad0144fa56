"""The `state.values` Slack sends when a modal is submitted, built from the view we opened.

`state_from_view(view)` is what Slack would send if the person changed nothing; pass
`changes` ({block_id: state value}) for what they changed. Shapes follow Slack's
view_submission payloads for each input element type.
"""

from __future__ import annotations

from typing import Any


def initial_state(element: dict[str, Any]) -> dict[str, Any]:
    """The state value of one input element as Slack reports it, untouched by the person."""
    kind = element["type"]
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind in ("radio_buttons", "static_select"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": element.get("initial_time")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    raise NotImplementedError(f"no state shape for {kind}")


def state_from_view(view: dict[str, Any], changes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """`state.values` for every input block of `view`, with `changes` applied by block id."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        state = initial_state(element)
        if changes and block["block_id"] in changes:
            state = {"type": element["type"], **changes[block["block_id"]]}
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def option(value: str, text: str | None = None) -> dict[str, Any]:
    """An option object as it comes back in state (Slack echoes text and value)."""
    return {"text": {"type": "plain_text", "text": text or value}, "value": value}
