""" "Is Maria a colleague?": the privacy screen's question, shared by every form.

When a form's text names someone the app cannot place (and holds nothing it refuses
outright), its handler calls `ask_about_names`: the question is pushed over the form.

- **Edit** is the question's close button: Slack goes back to the form, text intact.
- **Yes, save** submits the question. The form's own handler runs again on the form
  as it was submitted (kept in the question's private_metadata: Slack holds it, we
  store nothing), with the names lent to the screen as colleagues; its answer closes
  both views, or says in the question's place why it still couldn't save. Only when it
  saved are the names kept for the workspace — and only those the text really holds:
  the metadata comes back from the browser, so a forged list is never trusted.

The handler gets the request's own `client` (Bolt's, with this workspace's token in
OAuth mode), never the token-less template.

A feature makes its form askable with `resubmittable(callback_id, handler)`; the
handler is called as `handler(ack=…, body=…, view=…, client=…)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.privacy import (
    COLLEAGUE_QUESTION,
    METADATA_LIMIT,
    NAMES_ASKED,
    colleague_names_text,
    colleague_problem_view,
    colleague_question_view,
    unplaced_names_error,
)
from bot.db import transaction
from bot.deps import Deps
from bot.privacy import Verdict, refusal
from bot.privacy.lexicon import load_lexicon
from bot.privacy.workspace import answered_yes, confirm_colleagues, confirmed_names, forget_colleague
from bot.slack import slack_error_code
from handlers.payload import team_and_user
from handlers.router import CommandCall, CommandRouter

log = logging.getLogger(__name__)

# A form's submission handler, called with keyword arguments ack, body, view, client.
FormHandler = Callable[..., None]
_FORMS: dict[str, FormHandler] = {}

NAME_LIMIT = 100
FORM_GONE = "That form has expired. Please start again."


def resubmittable(callback_id: str, handler: FormHandler) -> None:
    """Let `ask_about_names` ask on behalf of this form; "Yes, save" re-runs `handler`."""
    _FORMS[callback_id] = handler


def _compact_values(values: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """A form's state with only what `ModalState` reads (values, selected option values)."""
    compact: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, block in (values or {}).items() if isinstance(values, Mapping) else ():
        for action_id, element in (block or {}).items() if isinstance(block, Mapping) else ():
            if not isinstance(element, Mapping):
                continue
            kept: dict[str, Any] = {}
            if "value" in element:
                kept["value"] = element["value"]
            if isinstance(element.get("selected_option"), Mapping):
                kept["selected_option"] = {"value": element["selected_option"].get("value")}
            if isinstance(element.get("selected_options"), list):
                kept["selected_options"] = [
                    {"value": o.get("value")} for o in element["selected_options"] if isinstance(o, Mapping)
                ]
            compact.setdefault(block_id, {})[action_id] = kept
    return compact


def _metadata(view: Mapping[str, Any], names: tuple[str, ...]) -> str:
    state = view.get("state") or {}
    return json.dumps(
        {
            "form": view.get("callback_id"),
            "meta": view.get("private_metadata") or "",
            "values": _compact_values(state.get("values") if isinstance(state, Mapping) else None),
            "names": [name[:NAME_LIMIT] for name in names[:NAMES_ASKED]],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def ask_about_names(ack: Ack, view: Mapping[str, Any], names: tuple[str, ...], *, field: str) -> None:
    """Answer a form's submission with "Is Maria a colleague?" pushed over the form.

    When the form cannot be carried in the question (its text is too long for Slack's
    metadata, or the form is not resubmittable), the advice goes beside `field` instead.
    """
    if isinstance(ack, _Resubmission):
        # Already answered "yes" for these names, and still unplaced: do not ask twice.
        ack(response_action="errors", errors={field: unplaced_names_error(names)})
        return
    metadata = _metadata(view, names)
    if view.get("callback_id") not in _FORMS or len(metadata) > METADATA_LIMIT:
        ack(response_action="errors", errors={field: unplaced_names_error(names)})
        return
    ack(response_action="push", view=colleague_question_view(names, metadata))


def answer_verdict(ack: Ack, view: Mapping[str, Any], verdict: Verdict, *, field: str) -> None:
    """Answer a form whose text the screen would not store: refuse beside `field`, or ask."""
    if verdict.refused:
        ack(response_action="errors", errors={field: refusal(verdict.findings())})
    else:
        ask_about_names(ack, view, verdict.names, field=field)


class _Resubmission:
    """The `ack` a form's handler gets when re-run after "Yes, save".

    Its answer is turned into one that fits the question view on top of the form:
    saved → close both; errors → say why, with "Back" to the form; a new view (a
    form's "done" screen) → the question closes and the form becomes that view.
    """

    def __init__(self, ack: Ack, client: WebClient, form_view_id: str | None) -> None:
        self._ack = ack
        self._client = client
        self._form_view_id = form_view_id
        # Whether the form's handler accepted the text (None: it has not answered).
        self.saved: bool | None = None

    def __call__(self, response_action: str | None = None, **kwargs: Any) -> None:
        self.saved = response_action not in ("errors", "push")
        if response_action == "errors":
            errors = kwargs.get("errors") or {}
            message = " ".join(str(e) for e in errors.values()) or "Something in the form needs fixing."
            self._ack(response_action="update", view=colleague_problem_view(message))
        elif response_action == "update" and kwargs.get("view") and self._form_view_id:
            self._ack()  # closes the question, uncovering the form…
            try:  # …which then shows what the form would have shown
                self._client.views_update(view_id=self._form_view_id, view=kwargs["view"])
            except SlackApiError as error:
                log.warning("privacy: couldn't show the form's result (%s)", slack_error_code(error))
        else:
            self._ack(response_action="clear")


def _read_metadata(raw: Any) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("form"), str):
        return None
    names = data.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return data


def on_colleague_confirmed(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """ "Yes, save": save the form underneath as it was submitted, then remember the names."""
    data = _read_metadata(view.get("private_metadata"))
    handler = _FORMS.get(data["form"]) if data else None
    if data is None or handler is None:
        ack(response_action="update", view=colleague_problem_view(FORM_GONE))
        return
    team_id, _user = team_and_user(body)
    form = {
        **view,
        "callback_id": data["form"],
        "private_metadata": data.get("meta") or "",
        "state": {"values": data.get("values") or {}},
    }
    resubmission = _Resubmission(ack, client, view.get("previous_view_id") or view.get("root_view_id"))
    with answered_yes(team_id, data["names"]) as answered:
        handler(ack=resubmission, body={**body, "view": form}, view=form, client=client)
    if resubmission.saved and answered.used:
        _remember(deps, body, team_id, answered.used)


def _remember(deps: Deps, body: dict[str, Any], team_id: str, names: set[str]) -> None:
    """Keep the names that the saved text held, for everyone in the workspace."""
    enterprise = body.get("enterprise")
    enterprise_id = enterprise.get("id") if isinstance(enterprise, dict) else None
    try:
        with transaction(deps.session_factory) as session:
            confirm_colleagues(session, team_id, names, today=deps.now().date(), enterprise_id=enterprise_id)
    except Exception:
        # The text is saved; the names will simply be asked about next time.
        log.exception("team=%s privacy: couldn't remember the confirmed names", team_id)
        return
    # Never the user: the form underneath may be an anonymous reflection.
    log.info("team=%s privacy: %d name(s) confirmed as colleagues", team_id, len(names))


REMOVE_USAGE = (
    "Which name? For example `/mentor colleagues remove Maria Lopez`, as `/mentor colleagues` lists it."
)


def colleagues_command(call: CommandCall) -> None:
    """`/mentor colleagues [remove NAME]`: the names confirmed as colleagues, and undoing one."""
    verb = call.args[0].lower() if call.args else "list"
    if verb == "list" and len(call.args) <= 1:
        with transaction(call.deps.session_factory) as session:
            names = confirmed_names(session, call.team_id)
        call.reply(colleague_names_text([(n.name, n.confirmed_on) for n in names]))
        return
    if verb not in ("remove", "forget", "delete"):
        call.reply("Try `/mentor colleagues` to list the names, or `/mentor colleagues remove NAME`.")
        return
    name = call.rest.strip()[len(call.args[0]) :].strip().strip("\"“”'")
    if not name:
        call.reply(REMOVE_USAGE)
        return
    with transaction(call.deps.session_factory) as session:
        removed = forget_colleague(session, call.team_id, name, actor=call.user_id, now=call.deps.now())
    if removed:
        log.info("team=%s user=%s privacy: removed a confirmed colleague name", call.team_id, call.user_id)
        call.reply("Removed. The privacy check will ask about that name again.")
    else:
        call.reply("That name isn't on the list, so nothing changed. `/mentor colleagues` shows the list.")


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Attach "Yes, save" (the question's submit button) and `/mentor colleagues`."""
    # Load the name lists now (about a second), not inside the first note's three seconds.
    load_lexicon()

    @app.view(COLLEAGUE_QUESTION)
    def colleague_confirmed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        on_colleague_confirmed(deps, ack, body, view, client)

    router.add(
        "colleagues",
        colleagues_command,
        summary="names confirmed as colleagues by the privacy check: list them, or remove one",
        usage="colleagues [remove NAME]",
        audience="admins",
    )
