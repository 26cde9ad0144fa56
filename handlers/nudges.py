"""Nudge DMs: the answer buttons, the note modal, the back-off check-in, `/mentor nudge`
and `/mentor history`.

Every click is acknowledged first; the answer is then recorded (one transaction in
`bot.nudges`) and the message is updated in place with `chat.update`. Only the mentor a
nudge was sent to can answer it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.home.service import publish_home
from bot.nudges.blocks import (
    ANSWER_BY_ACTION,
    ANSWER_LABELS,
    CHANGE,
    FOLLOWUP_PREFIX,
    NOTE,
    NOTE_BLOCK,
    NOTE_VIEW,
    PACE_FEWER,
    PACE_KEEP,
    PACE_PAUSE,
    history_blocks,
    history_text,
    note_from_view,
    note_modal,
    nudge_blocks,
    pace_answer_blocks,
)
from bot.nudges.request import request_nudge
from bot.nudges.service import (
    answer_followup,
    answer_nudge,
    choose_pace,
    current_note,
    recent_history,
    save_note,
)
from bot.nudges.types import NoteRefused, NotYourNudge, NudgeCard, NudgeNotFound
from bot.privacy import NamesToConfirm
from handlers import privacy_ask
from handlers.after_ack import AfterAckPool, after_ack, in_place
from handlers.modals import open_modal
from handlers.payload import clicked_message, team_and_user, where_clicked
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

NOT_YOURS = "This nudge was sent to someone else, so your click wasn't recorded."
NOT_FOUND = (
    "I can't find that nudge any more, so nothing was recorded. Newer nudges will work as usual; "
    "`/mentor history` shows your recent ones."
)
PACE_CHOICES = {PACE_FEWER: "fewer", PACE_PAUSE: "pause", PACE_KEEP: "keep"}
PACE_LABELS = {PACE_FEWER: "Fewer nudges", PACE_PAUSE: "Pause for a month", PACE_KEEP: "Keep as is"}


def register(app: App, deps: Deps, router: CommandRouter) -> Callable[..., None]:
    """Attach the nudge buttons, the note modal and the two mentor subcommands; returns
    the answer buttons' listener (Bolt tries it first: `handlers.register_all`)."""
    # The answer buttons ack and hand the rest to the after-ack pool: they run in the
    # request's thread while that pool has room (else on Bolt's pool, which records the
    # answer itself after the ack). Without a pool (tests) the work stays in the listener.
    answer, pace = _bind(on_answer, deps), _bind(on_pace, deps)
    in_place(answer, lambda _body: isinstance(deps.after_ack, AfterAckPool) and deps.after_ack.has_room())
    for action_id in ANSWER_BY_ACTION:
        app.action(action_id)(answer)
    app.action(CHANGE)(_bind(on_change, deps))
    app.action(re.compile(rf"^{FOLLOWUP_PREFIX}\d+$"))(_bind(on_followup, deps))
    app.action(NOTE)(_bind(on_note, deps))
    app.view(NOTE_VIEW)(_bind(on_note_submitted, deps))
    privacy_ask.resubmittable(
        NOTE_VIEW, lambda ack, body, view, client: on_note_submitted(deps, ack, body, view, client)
    )
    for action_id in PACE_CHOICES:
        app.action(action_id)(pace)
    router.add(
        "nudge", ask_for_nudge, summary="send me a nudge now (it arrives within a minute)", audience="mentors"
    )
    router.add("history", show_history, summary="my last 10 nudges and what I answered", audience="mentors")
    return answer


def _bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    """`listener` with `deps` filled in, as Bolt wants it.

    Bolt reads a listener's parameter names to choose what to pass (`ack`, `body`, …);
    a partial hides the bound `deps` from it. The name is kept for Bolt's debug log.
    """
    bound = functools.partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


# --- shared steps -----------------------------------------------------------------------


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _dm(client: WebClient, user_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except (SlackApiError, OSError):
        log.warning("nudge: could not DM the mentor either")


def couldnt_refresh(saved: str) -> str:
    """What a mentor is told when their answer is saved but the nudge message kept its old look."""
    return f"Saved: {saved} — I couldn't refresh the message above."


def _for_clicker(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond,
    work: Callable[..., Any],
    target: int | None,
    *args: Any,
) -> Any:
    """Run one service call for whoever clicked, in one transaction. Returns None (after
    telling them why) when the button is not theirs or points at nothing."""
    team_id, user_id = team_and_user(body)
    try:
        if target is None:
            raise NudgeNotFound(target)
        with transaction(deps.session_factory) as session:
            result = work(session, deps.settings, team_id, user_id, target, *args)
    except NotYourNudge:
        _tell(respond, NOT_YOURS)
        return None
    except NudgeNotFound:
        _tell(respond, NOT_FOUND)
        return None
    log.info("team=%s user=%s nudge %s: %s", team_id, user_id, target, work.__name__)
    return result


def _refreshed(client: WebClient, what: object, channel: str, ts: str, text: str, blocks: Any) -> bool:
    """Replace a message in place; False (logged) when Slack would not."""
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except (SlackApiError, OSError) as error:
        code = error.response.get("error") if isinstance(error, SlackApiError) else "no answer"
        log.warning("nudge %s: chat.update failed (%s)", what, code)
        return False
    return True


def _update_message(
    client: WebClient, card: NudgeCard | None, tell: Callable[[str], None], saved: str
) -> None:
    """Show the saved answer in the nudge itself; if Slack won't, say it is saved anyway."""
    if card is None or not card.channel or not card.ts:
        return
    if not _refreshed(client, card.send_id, card.channel, card.ts, card.text, nudge_blocks(card)):
        # The answer is saved; only the message could not be refreshed.
        tell(couldnt_refresh(saved))


def _refresh_home(deps: Deps, body: dict[str, Any], card: NudgeCard | None) -> None:
    """Redraw the mentor's Home after an answer: it lists their last nudges and answers."""
    if card is not None:
        publish_home(deps, *team_and_user(body))


# --- listeners --------------------------------------------------------------------------


def on_answer(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """One of the answer buttons on a nudge: ack, then record and refresh after the ack
    (the morning's nudges are answered in bursts; see `handlers.after_ack`)."""
    ack()
    answer, clicked_at = ANSWER_BY_ACTION[action["action_id"]], deps.now()

    def record() -> None:
        card = _for_clicker(
            deps, body, respond, answer_nudge, _number(action.get("value")), answer, clicked_at
        )
        _update_message(
            client, where_clicked(card, body), lambda text: _tell(respond, text), ANSWER_LABELS[answer]
        )
        _refresh_home(deps, body, card)

    after_ack(deps, respond, f"nudge answer {action.get('value')}", record)


def on_change(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """The "change my answer" menu: its value is `<answer>:<send id>`."""
    ack()
    answer, _, send = str((action.get("selected_option") or {}).get("value") or "").partition(":")
    send_id = _number(send) if answer in ANSWER_BY_ACTION.values() else None
    card = _for_clicker(deps, body, respond, answer_nudge, send_id, answer, deps.now())
    _update_message(
        client,
        where_clicked(card, body),
        lambda text: _tell(respond, text),
        ANSWER_LABELS.get(answer, answer),
    )
    _refresh_home(deps, body, card)


def on_followup(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """A follow-up choice button: its value is `<send id>:<choice index>`."""
    ack()
    send, _, choice = str(action.get("value") or "").partition(":")
    index = _number(choice)
    send_id = _number(send) if index is not None else None
    card = _for_clicker(deps, body, respond, answer_followup, send_id, index, deps.now())
    saved = f"“{card.followup_choice}”" if card is not None and card.followup_choice else "your answer"
    _update_message(client, where_clicked(card, body), lambda text: _tell(respond, text), saved)


def on_note(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    """*Add a note*: open the note modal with what they wrote before, if anything."""
    ack()
    send_id = _number(action.get("value"))
    found = _for_clicker(deps, body, respond, current_note, send_id)
    if found is None:
        return
    text, note = found
    view = note_modal(send_id, text, note)
    # The submission carries no message: keep the clicked one's place in the modal, so
    # the note still updates a nudge whose send was interrupted (no channel/ts recorded).
    channel, ts = clicked_message(body)
    if channel and ts:
        view["private_metadata"] = f"{send_id}:{channel}:{ts}"
    if open_modal(
        deps, body.get("trigger_id"), view, what=f"nudge {send_id} note", team_id=team_and_user(body)[0]
    ):
        # Usually an expired trigger (Slack allows three seconds): let them try again.
        _tell(respond, "The note box couldn't open just now. Please click *Add a note* again.")


def on_note_submitted(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """The note modal: save the note, or keep the modal open with the reason it wasn't."""
    team_id, user_id = team_and_user(body)
    send, _, clicked = str(view.get("private_metadata") or "").partition(":")
    send_id = _number(send)
    text = note_from_view(ModalState.of_view(view))
    try:
        if send_id is None:
            raise NudgeNotFound(view.get("private_metadata"))
        with transaction(deps.session_factory) as session:
            card = save_note(session, deps.settings, team_id, user_id, send_id, text, deps.now())
    except NoteRefused as refusal:
        # Nothing stored; the modal stays open with the reason under the field.
        ack(response_action="errors", errors={NOTE_BLOCK: str(refusal)})
        return
    except NamesToConfirm as asking:
        privacy_ask.ask_about_names(ack, view, asking.names, field=NOTE_BLOCK)
        return
    except (NotYourNudge, NudgeNotFound):
        ack(response_action="errors", errors={NOTE_BLOCK: NOT_FOUND})
        return
    ack()
    log.info("team=%s user=%s nudge %s: note saved", team_id, user_id, send_id)
    # A modal has no response_url: if the nudge can't be refreshed, say so by DM.
    _update_message(
        client, _at_noted_message(card, clicked), lambda text: _dm(client, user_id, text), "your note"
    )


def _at_noted_message(card: NudgeCard | None, clicked: str) -> NudgeCard | None:
    """`card` placed at the message whose *Add a note* opened the modal ("channel:ts" from
    its private_metadata), when we have no record of where that nudge was posted."""
    channel, _, ts = clicked.partition(":")
    if channel and ts:
        container = {"type": "message", "channel_id": channel, "message_ts": ts}
        return where_clicked(card, {"container": container})
    return card


def on_pace(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """The back-off check-in: fewer nudges, a month's pause, or keep the pace."""
    ack()
    choice = PACE_CHOICES[action["action_id"]]
    chosen = _for_clicker(deps, body, respond, choose_pace, _number(action.get("value")), choice, deps.now())
    if chosen is None or not chosen.channel or not chosen.ts:
        return
    blocks = pace_answer_blocks(chosen.message)
    if not _refreshed(client, "pace", chosen.channel, chosen.ts, chosen.message, blocks):
        _tell(respond, f"{couldnt_refresh(PACE_LABELS[action['action_id']])} {chosen.message}")


# --- `/mentor nudge` and `/mentor history` ---------------------------------------------------


def ask_for_nudge(call: CommandCall) -> None:
    """`/mentor nudge`: queue a nudge for the caller now."""
    deps = call.deps
    with transaction(deps.session_factory) as session:
        outcome = request_nudge(session, deps.settings, call.team_id, call.user_id, deps.now())
    call.reply(outcome.message)


def show_history(call: CommandCall) -> None:
    """`/mentor history`: the caller's last nudges and what they answered."""
    deps = call.deps
    with transaction(deps.session_factory) as session:
        lines = recent_history(session, deps.settings, call.team_id, call.user_id)
    call.reply(history_text(lines), history_blocks(lines))
