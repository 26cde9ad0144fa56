"""Mentoring agreements: `/mentor agreement [@person]`, the invitation's *Draft* button,
the drafting modal, *Confirm* / *Suggest changes* on a proposal, and the review marks.

Every click is acknowledged first; one service call in one transaction follows, and the
message clicked is replaced with where things now stand.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.agreements.blocks import (
    CONFIRM,
    DRAFT,
    DRAFT_VIEW,
    MARK,
    SUGGEST,
    agreed_blocks,
    agreed_text,
    draft_modal,
    proposal_blocks,
    proposal_text,
    read_draft_form,
    read_draft_metadata,
    review_blocks,
    review_text,
)
from bot.agreements.rules import GOAL_BLOCKS
from bot.agreements.service import (
    agreement_command,
    confirm,
    draft_context,
    mark_goal,
    propose_changes,
    submit_draft,
)
from bot.agreements.types import (
    AGREED,
    AgreementNotFound,
    AgreementRefused,
    DraftContext,
    DraftRefused,
    NotYourTurn,
    Superseded,
)
from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.textparse import parse_user
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

NOT_FOUND = "I can't find that agreement any more, so nothing changed."
USAGE = (
    "`/mentor agreement` (with your mentor or mentee), or `/mentor agreement @person` when you have several."
)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Attach the command, the buttons and the modal."""
    router.add(
        "agreement",
        agreement_cmd,
        usage="agreement [@person]",
        summary="draft, see or change your mentoring agreement (goals, meetings, feedback)",
    )
    app.action(DRAFT)(_bind(on_draft, deps))
    app.action(CONFIRM)(_bind(on_confirm, deps))
    app.action(SUGGEST)(_bind(on_suggest, deps))
    app.action(MARK)(_bind(on_mark, deps))
    app.view(DRAFT_VIEW)(_bind(on_draft_submitted, deps))


def _bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    bound = functools.partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _value(body: dict[str, Any]) -> str:
    value = ((body.get("actions") or [{}])[0]).get("value")
    return value if isinstance(value, str) else ""


def _numbers(text: str, count: int) -> list[int] | None:
    parts = text.split(":")[:count]
    return [int(p) for p in parts] if len(parts) == count and all(p.isdigit() for p in parts) else None


def _open(deps: Deps, trigger_id: str | None, context: DraftContext, team_id: str) -> str | None:
    return open_modal(deps, trigger_id, draft_modal(context), what="agreement", team_id=team_id)


# --- the command -----------------------------------------------------------------------------------


def agreement_cmd(call: CommandCall) -> None:
    """`/mentor agreement [@person]`."""
    other = None
    if call.args:
        other = parse_user(call.args[0])
        if other is None:
            call.reply(
                f"Pick the person from the @-menu as you type, so Slack turns it into a mention. {USAGE}"
            )
            return
    call.ack()  # views.open may follow
    deps = call.deps
    try:
        with transaction(deps.session_factory) as session:
            outcome = agreement_command(
                session,
                deps.settings,
                team_id=call.team_id,
                user_id=call.user_id,
                other_user_id=other,
                now=deps.now(),
            )
    except AgreementRefused as refused:
        call.reply(refused.message)
        return
    if outcome.context is not None:
        error = _open(deps, call.trigger_id, outcome.context, call.team_id)
        if error:
            call.reply(
                f"The agreement form didn't open ({why_not_opened(error)}). "
                "Please try `/mentor agreement` again."
            )
        return
    if outcome.card is not None:
        card = outcome.card
        if card.status == AGREED:
            call.reply(agreed_text(card, call.user_id), agreed_blocks(card, call.user_id))
        else:
            call.reply(proposal_text(card), proposal_blocks(card, call.user_id))
        return
    call.reply(outcome.message or USAGE)


# --- buttons ---------------------------------------------------------------------------------------


def on_draft(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """*Draft our agreement* in the invitation."""
    ack()
    team_id, user_id = team_and_user(body)
    pair_id = _numbers(_value(body), 1)
    try:
        if pair_id is None:
            raise AgreementRefused(NOT_FOUND)
        with transaction(deps.session_factory) as session:
            context = draft_context(session, team_id=team_id, user_id=user_id, pair_id=pair_id[0])
    except AgreementRefused as refused:
        _tell(respond, refused.message)
        return
    error = _open(deps, body.get("trigger_id"), context, team_id)
    if error:
        _tell(respond, f"The agreement form didn't open ({why_not_opened(error)}). Please click again.")


def _clicked(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond,
    work: Callable[[Any, str, str, list[int]], Any],
    count: int = 2,
) -> Any:
    team_id, user_id = team_and_user(body)
    numbers = _numbers(_value(body), count)
    try:
        if numbers is None:
            raise AgreementNotFound(_value(body))
        with transaction(deps.session_factory) as session:
            return work(session, team_id, user_id, numbers)
    except AgreementNotFound:
        _tell(respond, NOT_FOUND)
    except (NotYourTurn, AgreementRefused) as refused:
        _tell(respond, refused.message)
    except Superseded as stale:
        _tell(respond, stale.message)
        respond(
            text=proposal_text(stale.card),
            blocks=proposal_blocks(stale.card, user_id),
            replace_original=True,
        )
    return None


def on_confirm(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """*Confirm* / *Accept*: the agreement is agreed; the message shows the agreed version."""
    ack()

    def work(session: Any, team_id: str, user_id: str, numbers: list[int]) -> Any:
        return confirm(
            session,
            deps.settings,
            team_id=team_id,
            user_id=user_id,
            agreement_id=numbers[0],
            version=numbers[1],
            now=deps.now(),
        )

    card = _clicked(deps, body, respond, work)
    if card is not None:
        user_id = team_and_user(body)[1]
        log.info("team=%s user=%s agreement %s: agreed", team_and_user(body)[0], user_id, card.agreement_id)
        respond(text=agreed_text(card, user_id), blocks=agreed_blocks(card, user_id), replace_original=True)


def on_suggest(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """*Suggest changes* / *Edit*: the modal with the version that waits, to change."""
    ack()

    def work(session: Any, team_id: str, user_id: str, numbers: list[int]) -> Any:
        return propose_changes(
            session,
            deps.settings,
            team_id=team_id,
            user_id=user_id,
            agreement_id=numbers[0],
            version=numbers[1],
        )

    context = _clicked(deps, body, respond, work)
    if context is not None:
        error = _open(deps, body.get("trigger_id"), context, team_and_user(body)[0])
        if error:
            _tell(respond, f"The agreement form didn't open ({why_not_opened(error)}). Please click again.")


def on_mark(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """A goal's *Met* / *Still working on it* / *Changed* in a review."""
    ack()
    parts = _value(body).split(":")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        _tell(respond, NOT_FOUND)
        return

    def work(session: Any, team_id: str, user_id: str, _numbers: list[int]) -> Any:
        return mark_goal(
            session,
            team_id=team_id,
            user_id=user_id,
            agreement_id=int(parts[0]),
            stage=parts[1],
            goal_index=int(parts[2]),
            state=parts[3],
            now=deps.now(),
        )

    card = _clicked(deps, body, respond, work, count=1)
    if card is not None:
        respond(text=review_text(card), blocks=review_blocks(card), replace_original=True)


# --- the modal -------------------------------------------------------------------------------------


def on_draft_submitted(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """The agreement modal: store the version and send it on, or say beside the field why not."""
    team_id, user_id = team_and_user(body)
    pair_id, agreement_id, base = read_draft_metadata(view)
    fields = read_draft_form(ModalState.of_view(view))
    try:
        if pair_id is None:
            raise AgreementRefused(NOT_FOUND)
        with transaction(deps.session_factory) as session:
            card = submit_draft(
                session,
                deps.settings,
                team_id=team_id,
                user_id=user_id,
                pair_id=pair_id,
                agreement_id=agreement_id,
                base_version=base,
                fields=fields,
                now=deps.now(),
            )
    except DraftRefused as refused:
        ack(response_action="errors", errors={refused.block: refused.message})
        return
    except (AgreementRefused, Superseded) as refused:
        ack(response_action="errors", errors={GOAL_BLOCKS[0]: refused.message})
        return
    ack()
    other = card.other(user_id)
    log.info(
        "team=%s user=%s agreement %s: version %s sent",
        team_id,
        user_id,
        card.agreement_id,
        card.latest.number,
    )
    try:  # a modal has no response_url: confirm by DM, as they just acted
        client.chat_postMessage(
            channel=user_id,
            text=f"Sent: <@{other}> will get your agreement during their working hours, to confirm or "
            "suggest changes. I'll let you know when it's agreed.",
        )
    except (SlackApiError, OSError):
        log.warning("agreement %s: could not confirm to its author", card.agreement_id)
