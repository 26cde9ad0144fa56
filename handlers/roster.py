"""The roster commands: `/mentor pair|unpair|pairs|admin|admins|import`, paging, the import modal."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.state import ModalState
from bot.db import transaction
from bot.deps import Deps
from bot.directory import Profile, fetch_profile
from bot.files import FileProblem, download_shared_file
from bot.people import is_admin
from bot.roster.apply import apply_saved_plan, check_and_save_plan
from bot.roster.blocks import (
    CONFIRM_CALLBACK,
    FILE_BLOCK,
    IMPORT_CALLBACK,
    PAGE_NEXT_ACTION,
    PAGE_PREVIOUS_ACTION,
    PASTE_BLOCK,
    admins_message,
    applied_view,
    applying_view,
    checking_view,
    dry_run_view,
    escape,
    import_modal,
    notice_view,
    pair_reply,
    person_pairs_message,
    program_pairs_message,
    read_import_form,
)
from bot.roster.read import MAX_FILE_BYTES
from bot.roster.service import (
    add_admin,
    clean_cohort,
    cohort_problem,
    list_admins,
    member_problem,
    pair_people,
    person_pairs,
    program_pairs,
    remove_admin,
    unpair_people,
)
from bot.roster.types import ImportForm, Refusal, RosterFileError
from bot.slack import slack_error_code
from bot.textparse import parse_user
from handlers.modals import open_modal, why_not_opened
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

PAIR_USAGE = "`/mentor pair @mentor @mentee [cohort]`, for example `/mentor pair @ana.ruiz @sam.lee IM 2027`"
UNPAIR_USAGE = "`/mentor unpair @mentor @mentee`"
ADMIN_USAGE = "`/mentor admin add @person` or `/mentor admin remove @person` (`/mentor admins` lists them)"
PAIRS_USAGE = (
    "`/mentor pairs` shows your pairs; admins see the whole program and can add a page number "
    "(`/mentor pairs 2`) or a person (`/mentor pairs @sam.lee`)"
)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Add the roster subcommands to the router, and the modal and paging listeners to `app`."""
    router.add(
        "pairs",
        show_pairs,
        summary="your mentoring pairs (admins: the whole program; add a page number or @person)",
    )
    router.add("admins", show_admins, summary="who the program admins are")
    router.add(
        "pair",
        pair_command,
        usage="pair @mentor @mentee [cohort]",
        summary="pair a mentor with a mentee",
        audience="admins",
    )
    router.add(
        "unpair",
        unpair_command,
        usage="unpair @mentor @mentee",
        summary="end a pair (its history is kept)",
        audience="admins",
    )
    router.add(
        "import",
        import_command,
        summary="load pairs from a CSV file, with a dry run first",
        audience="admins",
    )
    router.add(
        "admin",
        admin_command,
        usage="admin add|remove @person",
        summary="give or take away admin rights",
        audience="admins",
    )

    @app.action(PAGE_PREVIOUS_ACTION)
    @app.action(PAGE_NEXT_ACTION)
    def page_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        turn_page(deps, body, respond)

    @app.view(IMPORT_CALLBACK)
    def import_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        check_import(deps, body, ack, client)

    @app.view(CONFIRM_CALLBACK)
    def import_confirmed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        apply_import(deps, body, ack, client)


# --- reading people out of command text ----------------------------------------------------


def _parse_people(call: CommandCall, tokens: Sequence[str], usage: str) -> list[str] | None:
    """Slack ids for mentions like `<@U123|ana>`; replies and returns None for anything else."""
    ids = []
    for token in tokens:
        user_id = parse_user(token)
        if user_id is None:
            shown = escape(token if len(token) <= 40 else token[:39] + "…")
            call.reply(
                f"I couldn't find “{shown}” in this workspace. Pick the person from the list Slack shows "
                f"as you type @, so their name turns into a link. Usage: {usage}"
            )
            return None
        ids.append(user_id)
    return ids


def _fetch_members(call: CommandCall, user_ids: Sequence[str]) -> list[Profile] | None:
    """Slack profiles for these ids (after ack: these are Web API calls, and no transaction is open)."""
    profiles = []
    for user_id in user_ids:
        try:
            profile = fetch_profile(call.client, user_id)
        except SlackApiError as error:
            call.reply(
                f"Slack didn't answer when I looked up <@{user_id}> ({slack_error_code(error)}), so nothing "
                "was changed. Please try again in a minute."
            )
            return None
        problem = member_problem(profile, user_id)
        if problem:
            call.reply(f"{problem} Nothing was changed.")
            return None
        assert profile is not None
        profiles.append(profile)
    return profiles


# --- /mentor pair, unpair, pairs --------------------------------------------------------------


def pair_command(call: CommandCall) -> None:
    """`/mentor pair @mentor @mentee [cohort]`."""
    parts = call.rest.split(None, 2)
    if len(parts) < 2:
        call.reply(f"Pairing needs two people, the mentor first: {PAIR_USAGE}.")
        return
    ids = _parse_people(call, parts[:2], PAIR_USAGE)
    if ids is None:
        return
    if ids[0] == ids[1]:
        call.reply("A person can't mentor themselves: name two different people, the mentor first.")
        return
    cohort = clean_cohort(parts[2]) if len(parts) > 2 else None
    problem = cohort_problem(cohort)
    if problem:
        call.reply(problem)
        return
    call.ack()  # two users.info calls follow
    profiles = _fetch_members(call, ids)
    if profiles is None:
        return
    deps = call.deps
    try:
        with transaction(deps.session_factory) as session:
            outcome = pair_people(
                session,
                deps.settings,
                team_id=call.team_id,
                actor=call.user_id,
                mentor=profiles[0],
                mentee=profiles[1],
                cohort=cohort,
                now=deps.now(),
            )
    except Refusal as refusal:
        call.reply(str(refusal))
        return
    call.reply(pair_reply(outcome))


def unpair_command(call: CommandCall) -> None:
    """`/mentor unpair @mentor @mentee`: end the pair, keep its history."""
    if len(call.args) < 2:
        call.reply(f"Ending a pair needs both people, the mentor first: {UNPAIR_USAGE}.")
        return
    ids = _parse_people(call, call.args[:2], UNPAIR_USAGE)
    if ids is None:
        return
    deps = call.deps
    try:
        with transaction(deps.session_factory) as session:
            unpair_people(
                session,
                team_id=call.team_id,
                actor=call.user_id,
                mentor_id=ids[0],
                mentee_id=ids[1],
                now=deps.now(),
            )
    except Refusal as refusal:
        call.reply(str(refusal))
        return
    call.reply(
        f"Done: <@{ids[0]}> no longer mentors <@{ids[1]}>. The pair's history is kept. "
        f"To pair them again: `/mentor pair` <@{ids[0]}> <@{ids[1]}>"
    )


def show_pairs(call: CommandCall) -> None:
    """`/mentor pairs [page | @person]`."""
    page, subject = 1, None
    if call.args:
        token = call.args[0]
        if token.isdigit():
            page = int(token)
        elif (user_id := parse_user(token)) is not None:
            subject = user_id
        else:
            call.reply(f"I didn't understand “{escape(token[:40])}”. {PAIRS_USAGE}.")
            return
    deps = call.deps
    if not call.is_admin:
        if subject is not None and subject != call.user_id:
            call.reply("You can see your own pairs; program admins can see everyone's.")
            return
        subject = call.user_id
    try:
        with transaction(deps.session_factory) as session:
            if subject is not None:
                text, blocks = person_pairs_message(
                    person_pairs(session, call.team_id, subject, deps.now()), viewer=call.user_id
                )
            else:
                text, blocks = program_pairs_message(
                    program_pairs(session, call.team_id, page=page, now=deps.now())
                )
    except Refusal as refusal:
        call.reply(str(refusal))
        return
    call.reply(text, blocks)


def turn_page(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Previous/Next under the roster: replace the message with the requested page."""
    # Org-wide installs may send `team: null`; the helper also reads user.team_id.
    team_id, user_id = team_and_user(body)
    try:
        page = int(((body.get("actions") or [{}])[0]).get("value") or 1)
    except ValueError:
        page = 1
    with transaction(deps.session_factory) as session:
        if not is_admin(session, deps.settings, team_id, user_id):
            respond(
                text="Only program admins can page through the whole roster. `/mentor pairs` shows yours.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        roster = program_pairs(session, team_id, page=page, now=deps.now(), clamp=True)
    text, blocks = program_pairs_message(roster)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


# --- admins ------------------------------------------------------------------------------------


def show_admins(call: CommandCall) -> None:
    """`/mentor admins`: everyone may see who runs the program (so they know whom to ask)."""
    deps = call.deps
    with transaction(deps.session_factory) as session:
        entries = list_admins(session, deps.settings, call.team_id)
    text, blocks = admins_message(entries)
    call.reply(text, blocks)


def admin_command(call: CommandCall) -> None:
    """`/mentor admin add|remove @person`."""
    verb = call.args[0].lower() if call.args else ""
    if verb in ("list", "ls"):
        show_admins(call)
        return
    if verb not in ("add", "remove"):
        call.reply(f"Use {ADMIN_USAGE}.")
        return
    if len(call.args) < 2:
        call.reply(f"Who should I {verb}? Use {ADMIN_USAGE}.")
        return
    ids = _parse_people(call, call.args[1:2], ADMIN_USAGE)
    if ids is None:
        return
    user_id = ids[0]
    deps = call.deps
    if verb == "remove":
        try:
            with transaction(deps.session_factory) as session:
                remove_admin(
                    session,
                    deps.settings,
                    team_id=call.team_id,
                    actor=call.user_id,
                    user_id=user_id,
                    now=deps.now(),
                )
        except Refusal as refusal:
            call.reply(str(refusal))
            return
        call.reply(f"<@{user_id}> is no longer a program admin.")
        return
    call.ack()  # users.info follows
    profiles = _fetch_members(call, [user_id])
    if profiles is None:
        return
    with transaction(deps.session_factory) as session:
        added = add_admin(
            session,
            deps.settings,
            team_id=call.team_id,
            actor=call.user_id,
            profile=profiles[0],
            now=deps.now(),
        )
    if added:
        call.reply(
            f"<@{user_id}> is now a program admin: they can manage pairs, import rosters and add "
            "other admins."
        )
    else:
        call.reply(f"<@{user_id}> is already a program admin, so nothing was changed.")


# --- CSV import ----------------------------------------------------------------------------


def import_command(call: CommandCall) -> None:
    """`/mentor import`: acknowledge, then open the upload form with the trigger at once."""
    call.ack()
    error = open_modal(call.deps, call.trigger_id, import_modal(), what="roster import", team_id=call.team_id)
    if error:
        call.reply(
            f"I couldn't open the import form ({why_not_opened(error)}). Please run `/mentor import` again."
        )


def _who(body: dict[str, Any]) -> tuple[str, str]:
    team_id, user_id = team_and_user(body)
    return team_id or (body.get("view") or {}).get("team_id") or "", user_id


def _still_admin(deps: Deps, team_id: str, user_id: str) -> bool:
    with transaction(deps.session_factory) as session:
        return is_admin(session, deps.settings, team_id, user_id)


def _update(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        # Most often the admin closed the modal; the check or import itself is done.
        log.warning("roster import: could not update view %s (%s)", view_id, slack_error_code(error))


def _trouble(what: str) -> str:
    reference = uuid.uuid4().hex[:8]
    log.exception("roster import: %s failed (ref %s)", what, reference)
    return (
        f"Something went wrong on our side and nothing was changed. Please try again; if it keeps happening, "
        f"tell whoever runs Mentor Nudge (reference `{reference}`)."
    )


def _complete_file(client: WebClient, file: dict[str, Any]) -> dict[str, Any]:
    """The file object with its download link (Slack normally sends it whole; ask if not)."""
    if file.get("url_private_download") or file.get("url_private") or not file.get("id"):
        return file
    try:
        return {**file, **client.files_info(file=file["id"])["file"]}
    except SlackApiError as error:
        raise FileProblem(
            f"Slack couldn't find that file any more ({slack_error_code(error)}). Please upload it again."
        ) from None


NOT_ADMIN = "Only program admins can import a roster. Ask your program director if the roster needs changing."


def check_import(deps: Deps, body: dict[str, Any], ack: Ack, client: WebClient) -> None:
    """ "Check" in the import form: ack within Slack's 3 s, then do the dry run and show it."""
    team_id, user_id = _who(body)
    view = body.get("view") or {}
    if not _still_admin(deps, team_id, user_id):
        ack(response_action="update", view=notice_view(NOT_ADMIN))
        return
    form = read_import_form(ModalState.of_view(view))
    errors = _form_errors(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    rows = sum(1 for line in form.pasted.splitlines() if line.strip()) if form.pasted else None
    ack(response_action="update", view=checking_view(rows))
    _update(client, view.get("id") or "", _dry_run(deps, client, team_id, user_id, form))


def _form_errors(form: ImportForm) -> dict[str, str] | None:
    """What to fix in the form before anything is checked: one file or some pasted rows, not both."""
    if not form.files and not form.pasted:
        return {FILE_BLOCK: "Choose a CSV file, or paste some rows below."}
    if form.files and form.pasted:
        return {PASTE_BLOCK: "Use either a file or pasted rows, not both: clear one of them."}
    return None


def _dry_run(deps: Deps, client: WebClient, team_id: str, user_id: str, form: ImportForm) -> dict[str, Any]:
    """The dry-run report for the form, or the form again with what went wrong (after the ack)."""
    try:
        source, data = _roster_data(deps, client, form)
        plan, import_key = check_and_save_plan(
            deps, team_id=team_id, actor=user_id, data=data, source=source, end_missing=form.end_missing
        )
        result = dry_run_view(plan, import_key)
        log.info(
            "team=%s user=%s roster import checked: %d to add, %d to end, %d errors (import %s)",
            team_id,
            user_id,
            len(plan.add),
            len(plan.end),
            len(plan.errors),
            import_key,
        )
    except (RosterFileError, FileProblem) as problem:
        result = import_modal(notice=str(problem))
    except SlackApiError as error:
        result = import_modal(
            notice=f"Slack didn't answer while I was looking people up ({slack_error_code(error)}). Nothing "
            "was changed; please try again in a few minutes."
        )
    except Exception:
        result = import_modal(notice=_trouble("check"))
    return result


def _roster_data(deps: Deps, client: WebClient, form: ImportForm) -> tuple[str, bytes | str]:
    """(source, data): the uploaded file, downloaded, or the pasted rows as they are."""
    if not form.files:
        return "pasted rows", form.pasted
    file = _complete_file(client, form.files[0])
    data = download_shared_file(
        file,
        # The request's own client: in OAuth mode, the token of this workspace.
        token=client.token or "",
        api_url=deps.settings.slack_api_url,
        max_bytes=MAX_FILE_BYTES,
    )
    return str(file.get("name") or "the uploaded file"), data


def apply_import(deps: Deps, body: dict[str, Any], ack: Ack, client: WebClient) -> None:
    """ "Apply changes" under a dry run: apply the stored plan once."""
    team_id, user_id = _who(body)
    view = body.get("view") or {}
    if not _still_admin(deps, team_id, user_id):
        ack(response_action="update", view=notice_view(NOT_ADMIN))
        return
    try:
        import_key = str(json.loads(view.get("private_metadata") or "{}")["import"])
    except (ValueError, KeyError, TypeError):
        ack(
            response_action="update",
            view=notice_view("I lost track of that check. Please run `/mentor import` again."),
        )
        return
    ack(response_action="update", view=applying_view())
    try:
        with transaction(deps.session_factory) as session:
            _plan, result = apply_saved_plan(
                session, deps.settings, team_id=team_id, import_key=import_key, actor=user_id, now=deps.now()
            )
        final = applied_view(result)
        log.info(
            "team=%s user=%s roster import %s applied: %d added, %d ended, %d welcomed",
            team_id,
            user_id,
            import_key,
            result.added,
            result.ended,
            result.welcomed,
        )
    except Refusal as refusal:
        final = notice_view(str(refusal))
    except Exception:
        final = notice_view(_trouble("apply"))
    _update(client, view.get("id") or "", final)
