"""Monthly channel reflections: `/mentor reflections`, the set-up modal, sharing, retries.

Anonymity, and how it is kept: an anonymous reflection is posted by the app as "A
colleague shared:" (no user mention, no message metadata, no `username` override) and
stored with no user id and only its local day. Nothing else is written when it is shared:
no person row is touched, no audit row or outbox row is created (a failure DM goes out
directly, not through the outbox), and the request log leaves the user out of the Share
button's and modal's lines (their ids start with "anon:", see `bot.app`). Row order only
repeats what the thread already shows to everyone in the channel.

Thread replies typed straight into a prompt's thread are recorded when the workspace
grants `channels:history` and subscribes to `message.channels`; without them no such
events arrive and the listener below never runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.people import is_admin
from bot.reflections import blocks
from bot.reflections import service as reflections
from bot.reflections.rules import channel_zone, local_month, theme_for
from bot.reflections.setup_form import (
    USAGE,
    overview_blocks,
    settings_from_view,
    setup_done_view,
    setup_modal,
)
from bot.reflections.types import ANONYMOUS_OFF, DayRule, Rearmed, ShareTarget
from bot.slack import slack_error_code
from bot.textparse import parse_channel, parse_user
from handlers import privacy_ask
from handlers.input_limits import TEXT_LIMIT
from handlers.modals import open_modal, why_not_opened
from handlers.payload import clicked_message
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

# Answers to conversations.info that mean "we cannot check", not "something is wrong".
UNCHECKABLE = frozenset({"missing_scope", "not_allowed_token_type", "ratelimited"})


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add `/mentor reflections` and the buttons, modals and events it needs."""

    router.add(
        "reflections",
        reflections_command,
        summary="monthly reflection prompts in a channel: list, set up or change, stop, retry",
        usage="reflections [#channel | off #channel | retry #channel]",
        audience="admins",
    )

    @app.view(blocks.SETUP_CALLBACK)
    def setup_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        submit_setup(deps, ack, body, view)

    @app.action(blocks.SHARE_ACTION)
    def share_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        open_share_modal(deps, body, respond)

    @app.view(blocks.SHARE_CALLBACK)
    def share_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submit_share(deps, ack, body, view, client)

    privacy_ask.resubmittable(
        blocks.SHARE_CALLBACK, lambda ack, body, view, client: submit_share(deps, ack, body, view, client)
    )

    @app.action(blocks.RETRY_ACTION)
    def retry_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        retry_from_button(deps, body, respond)

    # Bolt runs only the first listener that matches, so this one takes channel messages
    # only (message.channels / message.groups, which only this feature subscribes to) and
    # leaves DMs to other features. It must take *every* channel message, not just thread
    # replies: an event no listener matches is answered 404, and Slack retries those and
    # turns the subscription off when most deliveries fail.
    @app.event("message", matchers=[is_channel_message])
    def channel_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id = body.get("team_id")
        if isinstance(team_id, str) and team_id:
            record_thread_message(deps, team_id, event)


# --- `/mentor reflections …` --------------------------------------------------------------


def reflections_command(call: CommandCall) -> None:
    """List, set up, stop or retry, depending on the words after `reflections`."""
    args = call.args
    if not args or args[0].lower() == "list":
        show_overview(call)
        return
    verb = args[0].lower()
    if verb in ("off", "stop"):
        if (channel_id := _one_channel(call, args[1:], "off")) is not None:
            stop(call, channel_id)
    elif verb == "retry":
        if (channel_id := _one_channel(call, args[1:], "retry")) is not None:
            retry_from_command(call, channel_id)
    elif (channel_id := _one_channel(call, args[1:] if verb == "on" else args, None)) is not None:
        open_setup(call, channel_id)


def _one_channel(call: CommandCall, words: list[str], verb: str | None) -> str | None:
    """The single channel named in `words`, or None after telling the admin what went wrong."""
    example = f"`/mentor reflections {verb + ' ' if verb else ''}#channel`"
    if not words:
        call.reply(f"Which channel? Type {example} — start typing `#` and pick the channel from the list.")
        return None
    if len(words) > 1:
        call.reply(f"One channel at a time, please: {example}.")
        return None
    channel_id = parse_channel(words[0])
    if channel_id is not None:
        return channel_id
    if parse_user(words[0]) is not None:
        call.reply(f"That's a person, not a channel. Type {example} — start typing `#` and pick the channel.")
    elif words[0].startswith("#"):
        call.reply(
            f"I couldn't find the channel `{words[0]}`. Start typing `#` and pick it from the list Slack "
            f"offers (so Slack links it), e.g. {example}."
        )
    else:
        call.reply(
            f"I didn't understand `{words[0]}`. Try {example}, or `/mentor reflections` to list channels. "
            f"{USAGE}"
        )
    return None


def show_overview(call: CommandCall) -> None:
    """Every channel with prompts, and its next prompt in the channel's own time zone."""
    with transaction(call.deps.session_factory) as session:
        text, overview = overview_blocks(reflections.overview(session, call.team_id))
    call.reply(text, overview)


def setup_view(deps: Deps, team_id: str, channel_id: str) -> dict[str, Any]:
    """The set-up modal for one channel, filled with its current settings (also opened from Home)."""
    with transaction(deps.session_factory) as session:
        choices = reflections.settings_for_modal(session, deps.settings, team_id, channel_id)
        existing = reflections.find_channel(session, team_id, channel_id)
        is_new = existing is None or not existing.enabled
    return setup_modal(channel_id, choices, is_new=is_new)


def open_setup(call: CommandCall, channel_id: str) -> None:
    """Acknowledge, open the set-up modal (the trigger id is short-lived), then check access."""
    deps = call.deps
    call.ack()
    view = setup_view(deps, call.team_id, channel_id)
    error = open_modal(deps, call.trigger_id, view, what="reflection set-up", team_id=call.team_id)
    if error:
        call.reply(
            f"I couldn't open the set-up form ({why_not_opened(error)}). Please run the command again."
        )
        return
    warning = channel_access_problem(call.client, channel_id)
    if warning is not None:
        call.reply(f"Heads-up before the first prompt: {warning}")


def channel_access_problem(client: WebClient, channel_id: str) -> str | None:
    """What stops the app posting in a channel right now, in words, or None."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        code = slack_error_code(error)
        if code in UNCHECKABLE:
            return None
        return blocks.problem_text(code, channel_id)
    except OSError:
        return None
    if channel.get("is_archived"):
        return blocks.problem_text("is_archived", channel_id)
    if not channel.get("is_member"):
        return blocks.problem_text("not_in_channel", channel_id)
    return None


def stop(call: CommandCall, channel_id: str) -> None:
    """`/mentor reflections off #channel`."""
    with transaction(call.deps.session_factory) as session:
        channel = reflections.turn_off(
            session,
            team_id=call.team_id,
            channel_id=channel_id,
            admin_user_id=call.user_id,
            now=call.deps.now(),
        )
    if channel is None:
        call.reply(f"Reflection prompts aren't on in <#{channel_id}>, so there was nothing to stop.")
        return
    call.reply(
        f"Stopped reflection prompts in <#{channel_id}>. Past prompts and reflections are kept. "
        f"To start again, type `/mentor reflections` followed by <#{channel_id}>."
    )


def retry_from_command(call: CommandCall, channel_id: str) -> None:
    """`/mentor reflections retry #channel`."""
    with transaction(call.deps.session_factory) as session:
        result = reflections.rearm(
            session, team_id=call.team_id, actor=call.user_id, now=call.deps.now(), channel_id=channel_id
        )
        text = _retry_text(result, channel_id)
    call.reply(text)


def _retry_text(result: Rearmed, channel_id: str) -> str:
    if result.channel is None:
        return blocks.retry_reply("not_set_up", channel_id, None)
    prompt = result.prompt
    month = blocks.month_name(prompt.month) if prompt else None
    if result.rearmed:
        return blocks.retry_reply("rearmed", channel_id, month)
    return blocks.retry_reply("nothing", channel_id, month, prompt.status if prompt else None)


def retry_from_button(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """The "I've fixed it — try again" button in the admin's DM."""
    team_id, user_id = _team(body), body["user"]["id"]
    try:
        prompt_id = int(body["actions"][0]["value"])
    except (KeyError, ValueError):
        return
    with transaction(deps.session_factory) as session:
        if not is_admin(session, deps.settings, team_id, user_id):
            text = "Only program admins can retry a reflection prompt."
        else:
            result = reflections.rearm(
                session, team_id=team_id, actor=user_id, now=deps.now(), prompt_id=prompt_id
            )
            text = _retry_text(result, result.prompt.channel_id if result.prompt else "")
    respond(text=text, response_type="ephemeral", replace_original=False)


def submit_setup(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Save the set-up modal; errors go back to the field they are about."""
    team_id, user_id = _team(body), body["user"]["id"]
    channel_id = view.get("private_metadata") or ""
    choices, errors = settings_from_view(ModalState.of_view(view))
    if choices is None:
        ack(response_action="errors", errors=errors)
        return
    with transaction(deps.session_factory) as session:
        if not is_admin(session, deps.settings, team_id, user_id):
            ack(response_action="errors", errors={blocks.DAY_BLOCK: "Only program admins can change this."})
            return
        existing = reflections.find_channel(session, team_id, channel_id)
        is_new = existing is None or not existing.enabled
        channel = reflections.configure_channel(
            session,
            team_id=team_id,
            channel_id=channel_id,
            admin_user_id=user_id,
            choices=choices,
            now=deps.now(),
        )
        zone = channel_zone(channel)
        assert channel.next_prompt_at is not None
        theme, _question = theme_for(channel, *local_month(channel.next_prompt_at, zone))
        done = setup_done_view(
            channel_id=channel_id,
            is_new=is_new,
            next_local=channel.next_prompt_at.astimezone(zone),
            theme=theme,
            rule=DayRule.decode(channel.day_rule),
            minute=channel.minute_of_day,
            zone=zone.key,
        )
    ack(response_action="update", view=done)
    log.info("team=%s reflections %s in %s", team_id, "turned on" if is_new else "changed", channel_id)


# --- sharing ------------------------------------------------------------------------------


def _team(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""


def open_share_modal(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """The Share button: the share modal, or a note that sharing has closed.

    If the modal does not open (most often the trigger expired: Slack allows three
    seconds), the person is asked to click again, visibly only to them.
    """
    try:
        prompt_id = int(body["actions"][0]["value"])
    except (KeyError, ValueError):
        return
    with transaction(deps.session_factory) as session:
        target = reflections.share_target(session, _team(body), prompt_id, deps.now(), clicked_message(body))
    if target is None or target.closed_reason:
        view = blocks.closed_modal(target.closed_reason if target else "missing")
    else:
        view = blocks.share_modal(
            prompt_id=target.prompt_id,
            theme=target.theme,
            question=target.question,
            month=target.month,
            allow_anonymous=target.allow_anonymous,
        )
    if open_modal(deps, body.get("trigger_id"), view, what="reflection share", team_id=_team(body)):
        respond(
            text="The reflection box couldn't open just now. Please click *Share a reflection* again.",
            response_type="ephemeral",
            replace_original=False,
        )


def submit_share(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    """Screen the reflection, record it, then post it in the prompt's thread.

    Recording comes first, in the transaction that checks sharing is still open, so a
    database failure leaves no post behind (the safety net keeps the modal open with
    the text in it); a post Slack refuses is un-recorded and the text sent back to the
    writer. Errors go under the text field, so what they wrote stays in the modal.
    """
    text, practices, anonymous = blocks.share_from_view(ModalState.of_view(view))
    problem = _text_problem(text)
    if problem is not None:
        ack(response_action="errors", errors={blocks.TEXT_BLOCK: problem})
        return
    team_id, user_id = _team(body), body["user"]["id"]
    author = None if anonymous else user_id
    with transaction(deps.session_factory) as session:
        shared = reflections.share_reflection(
            session,
            team_id=team_id,
            prompt_id=int(view.get("private_metadata") or 0),
            text=text,
            practices=practices,
            user_id=author,
            now=deps.now(),
        )
    if shared.refused is not None:
        ack(response_action="errors", errors=_refused_errors(shared.refused))
        return
    if shared.screened is not None:
        privacy_ask.answer_verdict(ack, view, shared.screened, field=blocks.TEXT_BLOCK)
        return
    ack()
    target = shared.target
    assert target is not None and shared.reflection_id is not None
    code = _post_in_thread(client, target, text, author)
    if code is not None:
        _give_back(deps, client, team_id, user_id, target, shared.reflection_id, text, code)
        return
    log.info(
        "reflections: a %s reflection was shared in %s", "named" if author else "anonymous", target.channel_id
    )


def _text_problem(text: str) -> str | None:
    """What to say under the text field about a reflection that cannot be shared, or None."""
    if not text:
        return "Write a sentence or two first."
    if len(text) > blocks.MAX_REFLECTION_CHARS:
        return f"Please keep it under {blocks.MAX_REFLECTION_CHARS} characters."
    return None  # the privacy screen runs in the service, which knows the workspace


def _refused_errors(refused: str) -> dict[str, str]:
    """The modal's errors for a reflection the service did not record, by block id."""
    if refused == ANONYMOUS_OFF:
        return {
            blocks.ANONYMOUS_BLOCK: "Anonymous sharing was just turned off in this channel. "
            "Untick this to share with your name, or cancel."
        }
    # Closed while the modal was open: say so under the text, which stays there to copy.
    closed = blocks.CLOSED_REASONS.get(refused, blocks.CLOSED_REASONS["missing"])
    return {blocks.TEXT_BLOCK: f"{closed} {blocks.KEEP_YOUR_TEXT}"}


def _post_in_thread(client: WebClient, target: ShareTarget, text: str, author: str | None) -> str | None:
    """Post a recorded reflection in its prompt's thread: None once posted, else Slack's
    error code ("no_answer" when Slack could not be reached)."""
    post_text, post_blocks = blocks.shared_post(text, author)
    try:
        client.chat_postMessage(
            channel=target.channel_id,
            thread_ts=target.thread_ts,
            text=post_text,
            blocks=post_blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
    except (SlackApiError, OSError) as error:
        return slack_error_code(error) if isinstance(error, SlackApiError) else "no_answer"
    return None


def _give_back(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    target: ShareTarget,
    reflection_id: int,
    text: str,
    code: str,
) -> None:
    """A reflection Slack would not post: un-record it, and DM the writer their words."""
    log.warning("reflections: a reflection could not be posted in %s (%s)", target.channel_id, code)
    _withdraw(deps, team_id, reflection_id)
    reason = blocks.SHARE_FAILURES.get(code, f"Slack said `{code}`")
    # Straight to Slack, not through the outbox: an outbox row would sit in the
    # database beside an anonymous share with this person's id on it.
    try:
        client.chat_postMessage(
            channel=user_id, text=blocks.share_failed_text(target.channel_id, reason, text)
        )
    except (SlackApiError, OSError):
        log.warning("reflections: could not tell the writer either")


def _withdraw(deps: Deps, team_id: str, reflection_id: int) -> None:
    """Un-record a reflection whose post failed; a failure here is logged, never raised,
    so the writer still gets their text back."""
    try:
        with transaction(deps.session_factory) as session:
            reflections.withdraw_reflection(session, team_id=team_id, reflection_id=reflection_id)
    except SQLAlchemyError:
        log.exception(
            "reflections: a reflection that was not posted is still recorded (id %s)", reflection_id
        )


# --- thread replies (optional: channels:history + message.channels) --------------------


def is_channel_message(event: dict[str, Any]) -> bool:
    """True for message events from public or private channels (not DMs)."""
    return event.get("channel_type") in ("channel", "group")


def record_thread_message(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """Record, update or forget a person's reply in a prompt's thread; ignore everything else."""
    channel_id = event.get("channel")
    if not isinstance(channel_id, str) or not channel_id:
        return
    if event.get("subtype") == "message_deleted":
        _forget_deleted_reply(deps, team_id, channel_id, event)
        return
    reply = _thread_reply_in(event)
    if reply is None:
        return
    with transaction(deps.session_factory) as session:
        outcome = reflections.record_thread_reply(
            session,
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=reply.thread_ts,
            ts=reply.ts,
            user_id=reply.user_id,
            text=reply.text,
            now=deps.now(),
            max_length=TEXT_LIMIT,
        )
    if outcome != "ignored":
        log.info("reflections: thread reply in %s %s", channel_id, outcome)


@dataclass(frozen=True)
class _ThreadReply:
    """A person's reply inside a thread, as a message event carries it."""

    thread_ts: str
    ts: str
    user_id: str
    text: str


def _thread_reply_in(event: dict[str, Any]) -> _ThreadReply | None:
    """The reply a new or edited message is, or None for anything else."""
    message = _message_in(event)
    if message is None:
        return None
    thread_ts, ts, user_id = message.get("thread_ts"), message.get("ts"), message.get("user")
    text = message.get("text")
    # A payload whose fields are not strings is not a reply Slack sent: ignored, not raised.
    if not all(isinstance(value, str) and value for value in (thread_ts, ts, user_id)):
        return None
    # Only people's replies inside a thread: our own posts (bot_id) are recorded already.
    if message.get("bot_id") or thread_ts == ts or not isinstance(text, str):
        return None
    text = text.strip()
    return _ThreadReply(thread_ts, ts, user_id, text) if text else None


def _message_in(event: dict[str, Any]) -> dict[str, Any] | None:
    """The message an event is about: itself, or the new version of an edited one. None
    for the other subtypes (joins, topic changes…)."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message")
        return message if isinstance(message, dict) else None
    if subtype in (None, "thread_broadcast"):
        return event
    return None


def _forget_deleted_reply(deps: Deps, team_id: str, channel_id: str, event: dict[str, Any]) -> None:
    """A deleted thread reply is forgotten (deletions outside threads are ignored)."""
    previous = event.get("previous_message")
    thread_ts = previous.get("thread_ts") if isinstance(previous, dict) else None
    if isinstance(thread_ts, str) and thread_ts and isinstance(event.get("deleted_ts"), str):
        with transaction(deps.session_factory) as session:
            reflections.forget_thread_reply(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                ts=event["deleted_ts"],
            )
