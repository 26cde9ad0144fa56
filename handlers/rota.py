"""Rotas: `/mentor rota` (your duty and feed), `/mentor rota feed <link>|off`, the admin's
`/mentor rota upload` (dry run, then Apply), and the end-of-rotation line.

A feed link is a secret: it is never logged, and replies show it masked.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.files import FileProblem, download_shared_file
from bot.people import is_admin
from bot.rota.blocks import (
    CONFIRM_VIEW,
    FILE_BLOCK,
    LINE_BLOCK,
    REFLECT,
    REFLECT_VIEW,
    UPLOAD_VIEW,
    applied_view,
    dry_run_view,
    key_from_confirm,
    line_from_view,
    notice_view,
    read_upload_form,
    reflection_modal,
    summary_message,
    upload_modal,
)
from bot.rota.feed import fetch_feed
from bot.rota.planning import feed_of, record_feed_result
from bot.rota.service import (
    LineRefused,
    PlanGone,
    apply_upload,
    check_upload,
    reflection_of,
    remove_feed,
    rota_summary,
    save_reflection,
    set_feed,
)
from bot.rota.types import MAX_FILE_BYTES, UNREADABLE_LINK, FeedProblem, FeedRefused, RotaFileError
from bot.slack import slack_error_code
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

USAGE = (
    "`/mentor rota` shows your duty; `/mentor rota feed <link>` adds your calendar feed, "
    "`/mentor rota feed off` removes it; admins: `/mentor rota upload` loads a rota file."
)
NOT_ADMIN = "Only program admins can upload a rota. Your own calendar feed: `/mentor rota feed <link>`."


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Attach `/mentor rota`, the upload modals and the reflection button and modal."""
    router.add(
        "rota",
        rota_command,
        usage="rota [feed <link> | feed off | upload]",
        summary="your duty (no messages on call, nights or post-call), your calendar feed; admins: upload",
    )
    app.view(UPLOAD_VIEW)(_bind(on_upload, deps))
    app.view(CONFIRM_VIEW)(_bind(on_confirm, deps))
    app.action(REFLECT)(_bind(on_reflect, deps))
    app.view(REFLECT_VIEW)(_bind(on_reflect_submitted, deps))


def _bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    bound = functools.partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


# --- the command -----------------------------------------------------------------------------------


def rota_command(call: CommandCall) -> None:
    """`/mentor rota [feed <link> | feed off | upload]`."""
    verb = call.args[0].lower() if call.args else ""
    if verb == "":
        _show(call)
    elif verb == "feed":
        _feed(call, call.rest.split(None, 1)[1] if len(call.args) > 1 else "")
    elif verb in ("upload", "import"):
        _upload(call)
    else:
        call.reply(USAGE)


def _show(call: CommandCall) -> None:
    deps = call.deps
    with transaction(deps.session_factory) as session:
        summary = rota_summary(
            session, deps.settings, team_id=call.team_id, user_id=call.user_id, now=deps.now()
        )
    text, blocks = summary_message(summary)
    call.reply(text, blocks)


def _feed(call: CommandCall, link: str) -> None:
    deps = call.deps
    if not link.strip():
        call.reply(
            "Paste your calendar feed's link after the command: `/mentor rota feed https://…`. " + USAGE
        )
        return
    if link.strip().lower() == "off":
        with transaction(deps.session_factory) as session:
            removed = remove_feed(session, team_id=call.team_id, user_id=call.user_id, now=deps.now())
        call.reply(
            "Your calendar feed is removed, with the shifts it gave."
            if removed
            else "You have no calendar feed."
        )
        return
    try:
        with transaction(deps.session_factory) as session:
            masked = set_feed(
                session, deps.settings, team_id=call.team_id, user_id=call.user_id, text=link, now=deps.now()
            )
    except FeedRefused as refused:
        call.reply(f"{refused} Nothing was saved.")
        return
    call.ack()  # the first fetch follows
    log.info("team=%s user=%s rota feed saved", call.team_id, call.user_id)  # never the link
    call.reply(_first_refresh(deps, call.team_id, call.user_id, masked))


def _first_refresh(deps: Deps, team_id: str, user_id: str, masked: str) -> str:
    """Fetch a new feed at once, so the person hears now whether it works."""
    with transaction(deps.session_factory) as session:
        found = feed_of(session, deps.settings, team_id, user_id)
    if found is None:
        return "Your feed was removed meanwhile."
    feed_id, url = found
    data, problem = None, UNREADABLE_LINK if url is None else None
    try:
        if url is not None:
            data = fetch_feed(url, allow_local_http=deps.settings.rota_feed_allow_local_http)
    except FeedProblem as failed:
        problem = str(failed)
    with transaction(deps.session_factory) as session:
        outcome = record_feed_result(
            session, deps.settings, feed_id, data=data, problem=problem, now=deps.now(), tell=False
        )
    if outcome.ok:
        return (
            f"Saved your calendar feed `{masked}`: {outcome.shifts} shift(s) and rotation(s) found in the "
            "next twelve weeks. It's refreshed daily; nothing reaches you on call, on nights or post-call."
        )
    return (
        f"I saved `{masked}`, but couldn't read it just now ({outcome.problem}). I'll try again daily; check "
        "the link your scheduling system gives, or `/mentor rota feed off` to remove it."
    )


def _upload(call: CommandCall) -> None:
    if not call.is_admin:
        call.reply(NOT_ADMIN)
        return
    call.ack()
    error = open_modal(call.deps, call.trigger_id, upload_modal(), what="rota upload", team_id=call.team_id)
    if error:
        call.reply(
            f"I couldn't open the upload form ({why_not_opened(error)}). "
            "Please run `/mentor rota upload` again."
        )


# --- the upload modals -----------------------------------------------------------------------------


def _still_admin(deps: Deps, team_id: str, user_id: str) -> bool:
    with transaction(deps.session_factory) as session:
        return is_admin(session, deps.settings, team_id, user_id)


def _update(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        log.warning("rota upload: could not update view %s (%s)", view_id, slack_error_code(error))


def on_upload(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    """*Check*: ack with a progress view, download and check the file, show the dry run."""
    team_id, user_id = team_and_user(body)
    if not _still_admin(deps, team_id, user_id):
        ack(response_action="update", view=notice_view(NOT_ADMIN))
        return
    files, whose = read_upload_form(ModalState.of_view(view))
    if not files:
        ack(response_action="errors", errors={FILE_BLOCK: "Choose a CSV or .ics file."})
        return
    ack(
        response_action="update",
        view=notice_view(":hourglass_flowing_sand: Checking the rota… nothing changes yet."),
    )
    file = files[0]
    try:
        data = download_shared_file(
            file, token=client.token or "", api_url=deps.settings.slack_api_url, max_bytes=MAX_FILE_BYTES
        )
        with transaction(deps.session_factory) as session:
            plan, key = check_upload(
                session,
                deps.settings,
                team_id=team_id,
                actor=user_id,
                data=data,
                source=str(file.get("name") or "the uploaded file"),
                now=deps.now(),
                whose_user_id=whose,
            )
        result = dry_run_view(plan, key)
        log.info(
            "team=%s user=%s rota checked: %s, %d bad lines", team_id, user_id, plan.counts, len(plan.errors)
        )
    except (RotaFileError, FileProblem) as problem:
        result = upload_modal(notice=str(problem))
    _update(client, view.get("id") or "", result)


def on_confirm(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """*Apply*: apply the checked upload once."""
    team_id, user_id = team_and_user(body)
    if not _still_admin(deps, team_id, user_id):
        ack(response_action="update", view=notice_view(NOT_ADMIN))
        return
    key = key_from_confirm(view)
    try:
        if key is None:
            raise PlanGone("I lost track of that check. Please run `/mentor rota upload` again.")
        with transaction(deps.session_factory) as session:
            counts = apply_upload(session, team_id=team_id, key=key, actor=user_id, now=deps.now())
    except PlanGone as gone:
        ack(response_action="update", view=notice_view(str(gone)))
        return
    log.info("team=%s user=%s rota applied: %s", team_id, user_id, counts)
    ack(response_action="update", view=applied_view(counts))


# --- the end-of-rotation line --------------------------------------------------------------------


def on_reflect(deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """*Write one line*: the modal (with the line already written, to edit)."""
    ack()
    team_id, user_id = team_and_user(body)
    key = ((body.get("actions") or [{}])[0]).get("value")
    if not isinstance(key, str) or not key:
        respond(text="I lost track of that rotation.", response_type="ephemeral", replace_original=False)
        return
    with transaction(deps.session_factory) as session:
        current = reflection_of(session, team_id=team_id, user_id=user_id, rotation_key=key)
    label = key.split(":", 1)[1].replace("-", " ").capitalize() if ":" in key else None
    error = open_modal(
        deps,
        body.get("trigger_id"),
        reflection_modal(key, label, current=current),
        what="rota line",
        team_id=team_id,
    )
    if error:
        respond(
            text=f"The box didn't open ({why_not_opened(error)}). Please click again.",
            response_type="ephemeral",
            replace_original=False,
        )


def on_reflect_submitted(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Save the line (screened) or say beside the field why not."""
    team_id, user_id = team_and_user(body)
    key = view.get("private_metadata") or ""
    try:
        with transaction(deps.session_factory) as session:
            save_reflection(
                session,
                team_id=team_id,
                user_id=user_id,
                rotation_key=str(key),
                text=line_from_view(ModalState.of_view(view)),
                now=deps.now(),
            )
    except LineRefused as refused:
        ack(response_action="errors", errors={LINE_BLOCK: refused.message})
        return
    ack(
        response_action="update",
        view=notice_view("Saved — only you can see it. Well done on finishing the rotation."),
    )
