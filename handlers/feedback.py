"""Feedback chats: `/mentor ask`, the Home button and its modal, and the mentor's three
answers (with the "Suggest another time" note modal).

Every click is acknowledged first; the answer is then recorded (one transaction in
`bot.feedback`) and the mentor's message is updated in place. Only the mentor a request
went to can answer it, and only once.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.feedback.blocks import (
    ANSWER_BY_ACTION,
    ASK_VIEW,
    HOME_ASK,
    LATER,
    LATER_VIEW,
    MENTOR_BLOCK,
    NOTE_BLOCK,
    TOPIC_BLOCK,
    ask_from_view,
    ask_modal,
    later_modal,
    note_from_view,
    request_blocks,
    request_text,
)
from bot.feedback.rules import parse_ask
from bot.feedback.service import answer_request, answerable, ask_for_chat, mentor_choices
from bot.feedback.types import (
    ANSWER_LATER,
    FROM_COMMAND,
    FROM_HOME,
    AskRefused,
    NoteRefused,
    NotYourRequest,
    RequestCard,
    RequestClosed,
    RequestNotFound,
)
from bot.home.service import publish_home
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user, where_clicked
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

NOT_YOURS = "This request was sent to someone else, so your click wasn't recorded."
NOT_FOUND = "I can't find that request any more, so nothing was recorded."


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Attach the answer buttons, the two modals, the Home button and `/mentor ask`."""
    answer = _bind(on_answer, deps)
    for action_id in ANSWER_BY_ACTION:
        app.action(action_id)(answer)
    app.action(LATER)(_bind(on_later, deps))
    app.view(LATER_VIEW)(_bind(on_later_submitted, deps))
    app.action(HOME_ASK)(_bind(on_home_ask, deps))
    app.view(ASK_VIEW)(_bind(on_ask_submitted, deps))
    router.add(
        "ask",
        ask_command,
        usage="ask [@mentor] [topic]",
        summary="ask your mentor for a short feedback chat (they'll see it's from you)",
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


def _enterprise_of(body: dict[str, Any]) -> str | None:
    """The Enterprise Grid org a payload came from (None outside one), kept like a command's."""
    enterprise = body.get("enterprise")
    found = enterprise.get("id") if isinstance(enterprise, dict) else None
    return found if isinstance(found, str) and found else None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _refresh(client: WebClient, card: RequestCard) -> bool:
    """Bring the mentor's DM up to date; False (logged) when it isn't sent or Slack won't."""
    if not card.channel or not card.ts:
        return False
    try:
        client.chat_update(
            channel=card.channel, ts=card.ts, text=request_text(card), blocks=request_blocks(card)
        )
    except (SlackApiError, OSError) as error:
        code = error.response.get("error") if isinstance(error, SlackApiError) else "no answer"
        log.warning("feedback request %s: chat.update failed (%s)", card.request_id, code)
        return False
    return True


def _refresh_all(client: WebClient, cards: Iterable[RequestCard]) -> None:
    for card in cards:
        _refresh(client, card)


def _for_clicker(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient, work: Callable[..., RequestCard]
) -> RequestCard | None:
    """Run one service call for whoever clicked, in one transaction; None (after telling
    them why, and tidying the message) when it is not theirs or no longer open."""
    request_id = _number(((body.get("actions") or [{}])[0]).get("value"))
    team_id, user_id = team_and_user(body)
    try:
        if request_id is None:
            raise RequestNotFound(request_id)
        with transaction(deps.session_factory) as session:
            card = work(session, team_id, user_id, request_id)
    except NotYourRequest:
        _tell(respond, NOT_YOURS)
        return None
    except RequestNotFound:
        _tell(respond, NOT_FOUND)
        return None
    except RequestClosed as closed:
        _tell(respond, closed.message)
        _refresh(client, closed.card)  # its buttons are stale: show what happened instead
        return None
    log.info("team=%s user=%s feedback request %s: %s", team_id, user_id, request_id, work.__name__)
    return card


# --- the mentor's answers ------------------------------------------------------------------


def on_answer(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """*Let's talk this week* or *Can't right now*."""
    ack()
    answer = ANSWER_BY_ACTION[action["action_id"]]

    def record(session: Any, team_id: str, user_id: str, request_id: int) -> RequestCard:
        return answer_request(session, deps.settings, team_id, user_id, request_id, answer, deps.now())

    record.__name__ = f"answered {answer}"
    card = where_clicked(_for_clicker(deps, body, respond, client, record), body)
    if card is not None and not _refresh(client, card):
        _tell(
            respond, f"Saved — <@{card.mentee_user_id}> will be told. (I couldn't refresh the message above.)"
        )


def on_later(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    """*Suggest another time*: open the note modal, if the request still awaits an answer."""
    ack()

    def check(session: Any, team_id: str, user_id: str, request_id: int) -> RequestCard:
        return answerable(session, deps.settings, team_id, user_id, request_id)

    card = _for_clicker(deps, body, respond, client, check)
    if card is None:
        return
    error = open_modal(
        deps,
        body.get("trigger_id"),
        later_modal(card.request_id, card.mentee_user_id),
        what="feedback note",
        team_id=team_and_user(body)[0],
    )
    if error:
        _tell(
            respond,
            f"The note box didn't open ({why_not_opened(error)}). Please click *Suggest another time* again.",
        )


def on_later_submitted(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """The note modal: record "another time" with the note, or say beside the field why not."""
    team_id, user_id = team_and_user(body)
    request_id = _number(view.get("private_metadata"))
    note = note_from_view(ModalState.of_view(view))
    try:
        if request_id is None:
            raise RequestNotFound(view.get("private_metadata"))
        with transaction(deps.session_factory) as session:
            card = answer_request(
                session,
                deps.settings,
                team_id,
                user_id,
                request_id,
                ANSWER_LATER,
                deps.now(),
                note_text=note,
            )
    except NoteRefused as refused:
        ack(response_action="errors", errors={NOTE_BLOCK: refused.message})
        return
    except RequestClosed as closed:
        ack(response_action="errors", errors={NOTE_BLOCK: closed.message})
        _refresh(client, closed.card)
        return
    except (RequestNotFound, NotYourRequest):
        ack(response_action="errors", errors={NOTE_BLOCK: NOT_FOUND})
        return
    ack()
    log.info("team=%s user=%s feedback request %s: answered later", team_id, user_id, request_id)
    if not _refresh(client, card):
        try:  # a modal has no response_url: say it by DM
            client.chat_postMessage(
                channel=user_id,
                text=f"Saved — <@{card.mentee_user_id}> will be told you'd like another time.",
            )
        except (SlackApiError, OSError):
            log.warning("feedback request %s: could not DM the mentor either", request_id)


# --- asking ---------------------------------------------------------------------------------


def ask_command(call: CommandCall) -> None:
    """`/mentor ask [@mentor] [topic]`."""
    deps = call.deps
    try:
        mentor_user_id, topic = parse_ask(call.rest)
        with transaction(deps.session_factory) as session:
            outcome = ask_for_chat(
                session,
                deps.settings,
                team_id=call.team_id,
                user_id=call.user_id,
                mentor_user_id=mentor_user_id,
                topic_text=topic,
                source=FROM_COMMAND,
                now=deps.now(),
                enterprise_id=call.enterprise_id,
            )
    except AskRefused as refused:
        call.reply(refused.message)
        return
    call.reply(outcome.message)
    log.info("team=%s user=%s feedback request %s: asked", call.team_id, call.user_id, outcome.request_id)
    _refresh_all(call.client, outcome.refresh)


def on_home_ask(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """*Ask for a feedback chat* on Home: the modal (choose a mentor if several, a topic)."""
    ack()
    team_id, user_id = team_and_user(body)
    try:
        with transaction(deps.session_factory) as session:
            mentors = mentor_choices(session, team_id, user_id)
    except AskRefused as refused:
        publish_home(deps, team_id, user_id, notice=refused.message)
        return
    error = open_modal(deps, body.get("trigger_id"), ask_modal(mentors), what="feedback ask", team_id=team_id)
    if error:
        # Home buttons have no response_url: say so where they are looking.
        publish_home(
            deps,
            team_id,
            user_id,
            notice=f":warning: The request form didn't open ({why_not_opened(error)}). Please click *Ask for "
            "a feedback chat* again, or type `/mentor ask`.",
        )


def on_ask_submitted(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """The ask modal: send (or merge) the request, or say beside the field why not."""
    team_id, user_id = team_and_user(body)
    state = ModalState.of_view(view)
    mentor_user_id, topic = ask_from_view(state)
    try:
        with transaction(deps.session_factory) as session:
            outcome = ask_for_chat(
                session,
                deps.settings,
                team_id=team_id,
                user_id=user_id,
                mentor_user_id=mentor_user_id,
                topic_text=topic,
                source=FROM_HOME,
                now=deps.now(),
                enterprise_id=_enterprise_of(body),
            )
    except AskRefused as refused:
        # The message goes beside the mentor menu when the modal has one and it is about whom to ask.
        block = MENTOR_BLOCK if refused.about == "mentor" and state.has(MENTOR_BLOCK) else TOPIC_BLOCK
        ack(response_action="errors", errors={block: refused.message})
        return
    ack()
    log.info("team=%s user=%s feedback request %s: asked from Home", team_id, user_id, outcome.request_id)
    _refresh_all(client, outcome.refresh)
    publish_home(deps, team_id, user_id, notice=outcome.message)
