"""`/mentor <subcommand>` routing: a table of subcommands each feature module fills in.

The one Bolt listener for `/mentor` lives in `handlers.commands`; feature modules add
their subcommands here from their own `register()`, so help always lists exactly what
exists.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.help import HelpEntry
from bot.deps import Deps

AUDIENCES = ("everyone", "mentors", "admins")


@dataclass
class CommandCall:
    """One `/mentor …` invocation, with the ways to answer it.

    `reply()` answers in the ack when it can (the fastest path, and the only one that
    needs no Web API call), and through `response_url` after an earlier ack.
    """

    deps: Deps
    team_id: str
    enterprise_id: str | None
    user_id: str
    channel_id: str | None
    name: str
    args: list[str]
    rest: str
    trigger_id: str | None
    client: WebClient
    is_admin: bool
    logger: logging.Logger
    _ack: Ack
    _respond: Respond
    acked: bool = False
    replies: list[str] = field(default_factory=list)

    def ack(self) -> None:
        """Acknowledge now, before slow work (Slack gives three seconds)."""
        if not self.acked:
            self._ack()
            self.acked = True

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Answer the person, visible only to them."""
        self.replies.append(text)
        if not self.acked:
            self._ack(text=text, blocks=blocks, response_type="ephemeral")
            self.acked = True
        else:
            self._respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


SubcommandHandler = Callable[[CommandCall], None]


@dataclass(frozen=True)
class Subcommand:
    """A `/mentor` subcommand: its handler and its line of help."""

    name: str
    handler: SubcommandHandler
    usage: str
    summary: str
    audience: str = "everyone"
    aliases: tuple[str, ...] = ()
    # Answered in the ack from memory, with no Slack call and no write (`help`): the
    # `/mentor` listener may then run in the request's own thread (`handlers.commands`).
    at_once: bool = False

    @property
    def admin_only(self) -> bool:
        """Admin subcommands refuse everyone else before the handler runs."""
        return self.audience == "admins"


class CommandRouter:
    """Subcommands by name (and alias)."""

    def __init__(self) -> None:
        self._by_name: dict[str, Subcommand] = {}
        self._ordered: list[Subcommand] = []

    def add(
        self,
        name: str,
        handler: SubcommandHandler,
        *,
        summary: str,
        usage: str | None = None,
        audience: str = "everyone",
        aliases: tuple[str, ...] = (),
        at_once: bool = False,
    ) -> None:
        """Register a subcommand; a second registration of a name is a programming error.

        `at_once`: the handler only replies, from memory (see `Subcommand.at_once`).
        """
        if audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {AUDIENCES}")
        sub = Subcommand(name, handler, usage or name, summary, audience, aliases, at_once)
        for key in (name, *aliases):
            if key in self._by_name:
                raise ValueError(f"/mentor {key} is registered twice")
            self._by_name[key] = sub
        self._ordered.append(sub)

    def find(self, name: str) -> Subcommand | None:
        """The subcommand called `name` (or with that alias)."""
        return self._by_name.get(name)

    def suggest(self, name: str) -> list[str]:
        """Close spellings of `name` among the known subcommands."""
        return difflib.get_close_matches(name, list(self._by_name), n=3, cutoff=0.6)

    def help_entries(self, *, include_admin: bool) -> list[HelpEntry]:
        """Help lines in registration order; admin lines only for admins."""
        return [
            HelpEntry(sub.usage, sub.summary, sub.audience)
            for sub in self._ordered
            if include_admin or not sub.admin_only
        ]
