"""Which Slack token speaks for which workspace (README, "One workspace or many?").

* **Single-workspace mode** (`SLACK_BOT_TOKEN`): there is nothing to look up;
  `Deps.client_for` hands back the one client, exactly as before OAuth mode existed.
* **OAuth mode** (`SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET`, no bot token): each
  workspace — or a whole Enterprise Grid org, in one org-wide install — installs the app
  through Bolt's `/slack/install`. slack_sdk's SQLAlchemy installation and state stores
  keep the tokens and the OAuth states in our own database (tables created by migration
  0010, never by `create_tables()` at run time). :class:`Installations` finds the
  installation for a workspace (its own, else its org's), refreshes a rotating token
  that is about to expire (slack_sdk's `TokenRotator`) and builds that workspace's
  client. Bolt does the same for requests; this is for the clock and for services.

Uninstalling, or Slack revoking the bot token, deletes the installation and cancels
the workspace's queued messages at once (:meth:`Installations.forget`); the other
workspaces carry on. Tokens are never logged.

**Rotating tokens across processes.** Slack spends a refresh token when it is used, so
two processes refreshing one installation at once (a web worker and the clock) would
leave one of them with `invalid_refresh_token` although the other stored a good new
token. Every refresh — the clock's and, through :class:`RotatingAuthorize`, Bolt's —
goes through :meth:`Installations.refresh`, which holds a PostgreSQL advisory lock for
that installation (one process refreshes; the others wait and then find the new token),
and which, should Slack still say `invalid_refresh_token`, reads the installation again
and carries on with the newer token someone else stored. On SQLite (one machine, one
clock) the in-process lock and the re-read do the same.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.models import Delivery, DeliveryStatus, Workspace
from bot.models.installations import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE
from bot.people import ensure_workspace
from bot.slack import make_client, slack_error_code

log = logging.getLogger(__name__)

# Refresh a rotating token this long before it expires (Bolt's default too). Slack's
# tokens live 12 hours, so a clock that sends every minute refreshes about twice a day.
REFRESH_MINUTES_BEFORE_EXPIRY = 120
# How long an install link stays usable: from opening /slack/install to approving.
STATE_EXPIRY_SECONDS = 600
# Queued messages that have not reached Slack yet; `sending` ones are mid-call.
_UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
# Slack's answers when an org-wide token may not reach one of the org's workspaces (an
# org admin took the app out of it). Access can come back without a reinstall.
ACCESS_CODES = ("team_access_not_granted", "team_access_revoked")
# How often a request from a held workspace makes us look whether its hold can go.
ACCESS_RECHECK_SECONDS = 300


def grant_access(session: Session, team_ids: list[str], enterprise_id: str | None) -> list[str]:
    """An org admin let the org's app into these workspaces (again): note them with their
    org, and lift a hold on sending there. Returns the workspaces that were held."""
    for team_id in team_ids:
        ensure_workspace(session, team_id, enterprise_id=enterprise_id)
    return lift_holds(session, select(Workspace).where(Workspace.team_id.in_(team_ids)))


def lift_holds(session: Session, workspaces: Select[tuple[Workspace]]) -> list[str]:
    """Sending resumes in these workspaces; returns those that were held."""
    resumed = []
    for workspace in session.scalars(workspaces):
        if workspace.sending_paused_reason is not None:
            workspace.sending_paused_reason, workspace.sending_paused_at = None, None
            resumed.append(workspace.team_id)
    return resumed


class InstallRefused(BoltError):
    """An install from a workspace or org that SLACK_ALLOWED_TEAMS does not list."""

    def __init__(self, installation: Installation) -> None:
        super().__init__(
            f"team={installation.team_id} enterprise={installation.enterprise_id} is not allowed"
        )
        self.installation = installation


class AllowListedStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store that keeps no installation SLACK_ALLOWED_TEAMS leaves
    out (Bolt's install flow then shows its failure page)."""

    def __init__(self, *, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed

    def save(self, installation: Installation) -> None:
        if not is_allowed(self.allowed, installation.team_id, installation.enterprise_id):
            raise InstallRefused(installation)
        super().save(installation)


def is_allowed(allowed: tuple[str, ...], team_id: str | None, enterprise_id: str | None) -> bool:
    """Whether a workspace (or its Grid org) may use this deployment: any, when the list is empty."""
    return not allowed or team_id in allowed or enterprise_id in allowed


class NotInstalled(Exception):
    """No installation covers this workspace: never installed, uninstalled, or revoked."""

    def __init__(self, team_id: str, enterprise_id: str | None) -> None:
        where = f"{team_id}" + (f" (org {enterprise_id})" if enterprise_id else "")
        super().__init__(f"Mentor Nudge is not installed in workspace {where}")
        self.team_id = team_id
        self.enterprise_id = enterprise_id


class Installations:
    """OAuth mode's tokens: one installation per workspace or Enterprise Grid org."""

    def __init__(self, settings: Settings, session_factory: SessionFactory, *, template: WebClient) -> None:
        assert settings.slack_client_id and settings.slack_client_secret, (
            "OAuth mode needs client credentials"
        )
        engine = session_factory.kw["bind"]
        self.settings = settings
        self.session_factory = session_factory
        self.store = AllowListedStore(
            allowed=settings.slack_allowed_teams,
            client_id=settings.slack_client_id,
            engine=engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=logging.getLogger("slack_sdk.oauth"),
        )
        self.state_store = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRY_SECONDS,
            engine=engine,
            table_name=OAUTH_STATES_TABLE,
            logger=logging.getLogger("slack_sdk.oauth"),
        )
        # The template carries SLACK_API_URL, so refreshes go to GovSlack (or a test fake)
        # just like every other call.
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, client=template
        )
        self._refreshing = threading.Lock()
        self._remembered: set[tuple[str, str | None]] = set()
        # When each workspace's access hold was last looked at (`seen_working`).
        self._access_checked: dict[str, float] = {}

    # --- finding a workspace's client ------------------------------------------------

    def find(self, team_id: str, enterprise_id: str | None = None) -> Installation | None:
        """The installation that covers `team_id`: its own, else its org's org-wide one."""
        enterprise_id = enterprise_id or self._enterprise_of(team_id)
        if not is_allowed(self.settings.slack_allowed_teams, team_id, enterprise_id):
            return None  # installed before SLACK_ALLOWED_TEAMS left it out: served no more
        installation = self.store.find_installation(enterprise_id=enterprise_id, team_id=team_id)
        if (installation is None or not installation.bot_token) and enterprise_id:
            installation = self.store.find_installation(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return installation if installation is not None and installation.bot_token else None

    def client_for(self, team_id: str, enterprise_id: str | None = None) -> WebClient:
        """The Web API client for `team_id`, with a token good for at least a while yet.

        Raises NotInstalled when nothing covers the workspace, and slack_sdk's
        SlackTokenRotationError when an expiring token could not be refreshed.
        """
        installation = self.find(team_id, enterprise_id)
        if installation is None:
            raise NotInstalled(team_id, enterprise_id)
        installation = self._fresh(installation, team_id)
        # An org-wide token speaks for every workspace in the org: tell Slack which one.
        return make_client(
            self.settings,
            token=installation.bot_token,
            team_id=team_id if installation.is_enterprise_install else None,
        )

    def _fresh(self, installation: Installation, team_id: str) -> Installation:
        """Refresh a rotating token that expires soon, and store the new one."""
        if installation.bot_refresh_token is None:
            return installation
        return self.refresh(installation, team_id)

    def refresh(
        self, installation: Installation, team_id: str | None = None, *, minutes: int | None = None
    ) -> Installation:
        """The installation with a token good for at least `minutes` more (refreshed and
        stored if it was not), whichever process refreshes it.

        Raises slack_sdk's SlackTokenRotationError when Slack will not refresh it.
        """
        minutes = REFRESH_MINUTES_BEFORE_EXPIRY if minutes is None else minutes
        team_id = team_id or installation.team_id
        # One refresh at a time in this process, and (PostgreSQL) in the deployment; a
        # waiting caller re-reads and finds the token someone else just refreshed.
        with self._refreshing, self._rotation_lock(installation):
            current = self._latest(installation, team_id)
            try:
                refreshed = self.rotator.perform_token_rotation(
                    installation=current, minutes_before_expiration=minutes
                )
            except SlackTokenRotationError as error:
                if slack_error_code(error.api_error) != "invalid_refresh_token":
                    raise
                # Spent: another process (SQLite has no lock between them) refreshed
                # first. Its new token is in the store; carry on with that.
                latest = self._latest(installation, team_id)
                if latest.bot_refresh_token in (None, current.bot_refresh_token):
                    raise
                log.info("team=%s: another process refreshed the bot token first; using its token", team_id)
                current = latest
                refreshed = self.rotator.perform_token_rotation(
                    installation=current, minutes_before_expiration=minutes
                )
            if refreshed is None:
                return current
            self.store.save(refreshed)
        log.info(
            "team=%s enterprise=%s: refreshed the expiring bot token",
            refreshed.team_id or team_id,
            refreshed.enterprise_id,
        )
        return refreshed

    def _latest(self, installation: Installation, team_id: str | None) -> Installation:
        """The installation as stored now (another process may have refreshed it)."""
        found = None
        if team_id:
            found = self.find(team_id, installation.enterprise_id)
        elif installation.enterprise_id:
            found = self.store.find_installation(
                enterprise_id=installation.enterprise_id, team_id=None, is_enterprise_install=True
            )
        return found or installation

    @contextmanager
    def _rotation_lock(self, installation: Installation) -> Iterator[None]:
        """On PostgreSQL, an advisory lock for this installation, held until the new token is
        stored (the store writes on connections of its own, which the lock does not block)."""
        engine = self.session_factory.kw["bind"]
        if engine.dialect.name != "postgresql":
            yield
            return
        team = None if installation.is_enterprise_install else installation.team_id
        owner = f"{installation.enterprise_id}:{team}"
        key = int.from_bytes(hashlib.blake2b(owner.encode(), digest_size=8).digest(), "big", signed=True)
        with engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(key)))
            yield

    def _enterprise_of(self, team_id: str) -> str | None:
        with transaction(self.session_factory) as session:
            return session.scalar(select(Workspace.enterprise_id).where(Workspace.team_id == team_id))

    # --- keeping the workspace table in step -------------------------------------------

    def seen_working(self, team_id: str) -> bool:
        """A request from `team_id` was authorized: if sending there is held because Slack
        said the org's token could not reach the workspace, access is back — lift the hold.
        Looked at no more than once every few minutes per workspace. True when lifted."""
        last = self._access_checked.get(team_id)
        if last is not None and time.monotonic() - last < ACCESS_RECHECK_SECONDS:
            return False
        self._access_checked[team_id] = time.monotonic()
        with transaction(self.session_factory) as session:
            reason = session.scalar(
                select(Workspace.sending_paused_reason).where(Workspace.team_id == team_id)
            )
            if not reason or not any(code in reason for code in ACCESS_CODES):
                return False
            lift_holds(session, select(Workspace).where(Workspace.team_id == team_id))
        log.warning("team=%s: the app can reach this workspace again; sending resumes (%s)", team_id, reason)
        return True

    def remember_workspace(self, team_id: str, enterprise_id: str | None) -> None:
        """Note which org a workspace belongs to, the first time this process sees it.

        An org-wide install names no workspaces; the clock finds the org's token for a
        workspace through the `enterprise_id` recorded here from its first request.
        """
        key = (team_id, enterprise_id)
        if key in self._remembered:
            return
        with transaction(self.session_factory) as session:
            ensure_workspace(session, team_id, enterprise_id=enterprise_id)
        self._remembered.add(key)

    def record_install(self, installation: Installation, now: datetime) -> list[str]:
        """After an install: note the workspace and lift any hold on sending there.

        Returns the workspaces that were held (a token refused earlier), now sending again.
        """
        with transaction(self.session_factory) as session:
            if installation.team_id:
                ensure_workspace(
                    session,
                    installation.team_id,
                    enterprise_id=installation.enterprise_id,
                    name=installation.team_name,
                    bot_user_id=installation.bot_user_id,
                )
                covered = select(Workspace).where(Workspace.team_id == installation.team_id)
            else:
                covered = select(Workspace).where(Workspace.enterprise_id == installation.enterprise_id)
            resumed = lift_holds(session, covered)
        log.info(
            "installed: team=%s enterprise=%s org_wide=%s%s",
            installation.team_id,
            installation.enterprise_id,
            installation.is_enterprise_install,
            f"; sending again to {', '.join(resumed)}" if resumed else "",
        )
        return resumed

    def forget(
        self, *, team_id: str | None, enterprise_id: str | None, org_wide: bool, reason: str
    ) -> dict[str, int]:
        """Delete an installation (uninstalled, or its bot token revoked) and cancel the
        unsent messages of every workspace it covered. Returns {team_id: cancelled}.

        A workspace of the org that has an installation of its own keeps it, and keeps
        its queue; nothing of any other workspace is touched.
        """
        self.store.delete_all(enterprise_id=enterprise_id, team_id=None if org_wide else team_id)
        with transaction(self.session_factory) as session:
            if org_wide:
                teams = list(
                    session.scalars(select(Workspace.team_id).where(Workspace.enterprise_id == enterprise_id))
                )
            else:
                teams = [team_id] if team_id else []
        # Outside the transaction: the store reads on its own connection.
        stopped = [team for team in teams if self.find(team, enterprise_id) is None]
        cancelled: dict[str, int] = {}
        with transaction(self.session_factory) as session:
            for team in stopped:
                cancelled[team] = (
                    session.execute(
                        update(Delivery)
                        .where(Delivery.team_id == team, Delivery.status.in_(_UNSENT))
                        .values(
                            status=DeliveryStatus.CANCELLED, error=f"not sent: {reason}", lease_until=None
                        )
                    ).rowcount
                    or 0
                )
        log.critical(
            "team=%s enterprise=%s: %s; its installation is deleted and %d queued message(s) cancelled. "
            "Other workspaces are not affected.",
            team_id,
            enterprise_id,
            reason,
            sum(cancelled.values()),
        )
        return cancelled

    # --- housekeeping --------------------------------------------------------------------

    def purge_expired_states(self, now: datetime) -> int:
        """Delete install links (OAuth states) that expired: each is good for ten minutes and
        used once; an abandoned install would otherwise leave its row behind for ever."""
        table = self.state_store.oauth_states
        with self.session_factory.kw["bind"].begin() as connection:
            expired = delete(table).where(table.c.expire_at < normalize_datetime_for_db(now))
            return connection.execute(expired).rowcount or 0


class RotatingAuthorize(InstallationStoreAuthorize):
    """Bolt's per-request authorization, refreshing rotating tokens the way the clock does
    (`Installations.refresh`: one process at a time, and a spent refresh token recovered)."""

    def __init__(self, installations: Installations, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.installations = installations

    def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None, **kwargs: Any) -> Any:
        if not is_allowed(self.installations.settings.slack_allowed_teams, team_id, enterprise_id):
            log.warning(
                "team=%s enterprise=%s: not in SLACK_ALLOWED_TEAMS; not served", team_id, enterprise_id
            )
            return None
        return super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id, **kwargs)

    def _rotate_and_save_tokens_if_necessary(self, installation: Installation | None) -> Installation | None:
        # Bolt's own version refreshes with the row it read and saves; ours serialises the
        # refresh across processes. No user tokens are ever held, so only bot tokens rotate.
        if installation is None or installation.bot_refresh_token is None:
            return None
        return self.installations.refresh(installation, minutes=self.token_rotation_expiration_minutes)
