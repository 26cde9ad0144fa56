"""The meeting log: the monthly question's buttons, "what came up", `/mentor met` and
`/mentor meetings`.

Every click is acknowledged first; the answer is then recorded (one transaction in
`bot.meetings`) and the message is updated in place (the DM with `chat.update`, the
`/mentor met` reply through its response_url). Only the mentor can answer.
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

from bot.db import transaction
from bot.deps import Deps
from bot.home.service import publish_home
from bot.meetings.blocks import (
    ANSWER_ACTIONS,
    ANSWER_PREFIX,
    PRACTICES_ACTION,
    SAVE_ACTION,
    logged_blocks,
    logged_text,
    overview_blocks,
    overview_text,
    practices_from_state,
    question_blocks,
    question_text,
)
from bot.meetings.service import answer_question, log_meeting, meeting_overview, save_practices
from bot.meetings.types import MeetingCard, MeetingNotFound, MetRefused, NotYourMeeting
from handlers.payload import team_and_user, where_clicked
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

NOT_YOURS = "This question was sent to someone else, so your click wasn't recorded."
NOT_FOUND = "I can't find that meeting any more, so nothing was recorded. `/mentor meetings` shows your log."
NO_TICKS = (
    "I couldn't read your ticks from that click, so nothing changed. Please tick again and press *Save*."
)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Attach the question's buttons, Save, and the two mentor subcommands."""
    app.action(re.compile(rf"^{re.escape(ANSWER_PREFIX)}\d+$"))(_bind(on_answer, deps))
    app.action(PRACTICES_ACTION)(on_tick)
    app.action(SAVE_ACTION)(_bind(on_save, deps))
    router.add(
        "met",
        log_command,
        usage="met [@mentee] 30m",
        summary="log a meeting with your mentee (only you see your log)",
        audience="mentors",
    )
    router.add(
        "meetings",
        show_meetings,
        summary="your logged meetings with each mentee, last 3 months",
        audience="mentors",
    )


def _bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    """`listener` with `deps` filled in; the name is kept, as Bolt reads parameter names."""
    bound = functools.partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


def _number(text: object) -> int | None:
    # ASCII digits only, and short: "²" passes isdigit() but not int(), and a thirty-digit
    # value would overflow the database's integer.
    return int(text) if isinstance(text, str) and re.fullmatch(r"[0-9]{1,9}", text) else None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _for_clicker(
    deps: Deps, body: dict[str, Any], respond: Respond, work: Callable[..., MeetingCard]
) -> MeetingCard | None:
    """Run one service call for whoever clicked, in one transaction; None (after telling
    them why) when the button is not theirs or points at nothing."""
    target = _number(((body.get("actions") or [{}])[0]).get("value"))
    team_id, user_id = team_and_user(body)
    try:
        if target is None:
            raise MeetingNotFound(target)
        with transaction(deps.session_factory) as session:
            card = work(session, team_id, user_id, target)
    except NotYourMeeting:
        _tell(respond, NOT_YOURS)
        return None
    except MeetingNotFound:
        _tell(respond, NOT_FOUND)
        return None
    log.info("team=%s user=%s meeting %s: %s", team_id, user_id, target, work.__name__)
    return card


def _update_question(client: WebClient, card: MeetingCard, respond: Respond) -> None:
    """Show the saved answer in the DM itself; if Slack won't, say it is saved anyway."""
    if not card.channel or not card.ts:
        return
    try:
        client.chat_update(
            channel=card.channel, ts=card.ts, text=question_text(card), blocks=question_blocks(card)
        )
    except (SlackApiError, OSError) as error:
        code = error.response.get("error") if isinstance(error, SlackApiError) else "no answer"
        log.warning("meeting question %s: chat.update failed (%s)", card.question_id, code)
        _tell(respond, "Saved — I couldn't refresh the message above.")


def on_answer(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """~15 / ~30 / an hour or more / not yet (a second click changes the answer)."""
    ack()
    minutes = ANSWER_ACTIONS.get(action["action_id"])

    def record(session: Any, team_id: str, user_id: str, question_id: int) -> MeetingCard:
        if minutes is None:
            raise MeetingNotFound(question_id)
        return answer_question(session, team_id, user_id, question_id, minutes, deps.now())

    record.__name__ = f"answered {minutes}"
    card = where_clicked(_for_clicker(deps, body, respond, record), body)
    if card is not None:
        _update_question(client, card, respond)
        # Home counts the meetings logged per mentee.
        publish_home(deps, *team_and_user(body))


def on_tick(ack: Ack) -> None:
    """A checkbox in "what came up": nothing to do until Save (which reads every tick)."""
    ack()


def on_save(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    """*Save* under "what came up": store the ticked practices and show them."""
    ack()
    state = body.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("values"), dict):
        _tell(respond, NO_TICKS)
        return
    practices = list(practices_from_state(state["values"]))

    def record(session: Any, team_id: str, user_id: str, log_id: int) -> MeetingCard:
        return save_practices(session, team_id, user_id, log_id, practices, deps.now())

    record.__name__ = "saved what came up"
    card = _for_clicker(deps, body, respond, record)
    if card is None:
        return
    if card.question_id is not None:
        _update_question(client, card, respond)
    else:  # the `/mentor met` reply, visible only to them: replaced through its response_url
        respond(
            text=logged_text(card),
            blocks=logged_blocks(card),
            response_type="ephemeral",
            replace_original=True,
        )


# --- /mentor met and /mentor meetings --------------------------------------------------------


def log_command(call: CommandCall) -> None:
    """`/mentor met [@mentee] 30m`."""
    deps = call.deps
    try:
        with transaction(deps.session_factory) as session:
            card = log_meeting(session, deps.settings, call.team_id, call.user_id, call.rest, deps.now())
    except MetRefused as refused:
        call.reply(refused.message)
        return
    call.reply(logged_text(card), logged_blocks(card))
    publish_home(deps, call.team_id, call.user_id)


def show_meetings(call: CommandCall) -> None:
    """`/mentor meetings`: the caller's own log, per mentee, month by month."""
    deps = call.deps
    with transaction(deps.session_factory) as session:
        mentees = meeting_overview(session, deps.settings, call.team_id, call.user_id, deps.now())
    call.reply(overview_text(mentees), overview_blocks(mentees))
