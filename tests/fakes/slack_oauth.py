"""The fake Slack's OAuth side: the authorize page, `oauth.v2.access`, token rotation.

An install goes the way it goes at Slack: the app's `/slack/install` page links to
Slack's authorize URL (with `client_id`, `scope`, `state`, maybe `redirect_uri`); the
person clicks Allow (:meth:`FakeOAuth.approve` plays them and returns the `code` and
`state` Slack would send to the redirect URL); the app exchanges the code with
`oauth.v2.access`, authenticated by its client id and secret. The answer is shaped as
Slack's (the 2020 OpenAPI spec's example plus the later fields): a workspace install
names its `team`; an org-wide Enterprise Grid install has `team: null`, its
`enterprise` and `is_enterprise_install: true`; with token rotation on, the bot token
starts `xoxe.xoxb-` and comes with `refresh_token` and `expires_in`.
`grant_type=refresh_token` exchanges a refresh token for a new bot token (and refresh
token); the old bot token keeps working until it expires, then answers `token_expired`.
As at Slack, a refresh token works once: using it revokes it, so a second process
refreshing with the same one gets `invalid_refresh_token`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
APP_ID = "A0MENTOR1"
# Slack's rotating bot tokens live twelve hours.
ROTATING_LIFETIME = 12 * 3600


@dataclass
class Grant:
    """What one bot token speaks for: a workspace, or (team_id None) a whole Grid org."""

    token: str
    team_id: str | None
    team_name: str
    enterprise_id: str | None = None
    bot_user_id: str = "U0BOT0001"
    bot_id: str = "B0BOT0001"
    # Token rotation: when it stops working (time.time()), and how to renew it.
    expires_at: float | None = None
    refresh_token: str | None = None
    revoked: bool = False

    @property
    def org_wide(self) -> bool:
        """An org-wide install: one token for every workspace of the org."""
        return self.team_id is None

    def sees(self, team_id: str, enterprise_id: str | None) -> bool:
        """Whether a member or channel of `team_id` (in `enterprise_id`) is visible to this token."""
        if self.enterprise_id is not None and enterprise_id == self.enterprise_id:
            return True
        return team_id == self.team_id


@dataclass
class Approval:
    """What Slack sends back to the redirect URL after someone clicks Allow."""

    code: str
    state: str
    scopes: list[str]
    redirect_uri: str | None


@dataclass
class _Pending:
    grant: Grant
    installer: str
    scopes: list[str]
    redirect_uri: str | None
    lifetime: int | None


class FakeOAuth:
    """Slack's OAuth endpoints for one app (`CLIENT_ID`)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self._codes: dict[str, _Pending] = {}
        self._enterprise_names: dict[str, str] = {}
        self._numbers = itertools.count(1)
        # How many refresh tokens were exchanged (successfully).
        self.refreshes = 0

    def approve(
        self,
        authorize_url: str,
        *,
        team_id: str | None = None,
        team_name: str = "Northside Children's",
        enterprise_id: str | None = None,
        enterprise_name: str = "University Health",
        org_wide: bool = False,
        installer: str = "U0INSTALL1",
        rotation: bool = False,
        lifetime: int = ROTATING_LIFETIME,
    ) -> Approval:
        """Click Allow on the authorize page the app sent someone to.

        Checks what a real authorize page checks (this app's client id, the scopes
        asked for) and returns the code and state for the redirect URL.
        """
        parts = urlsplit(authorize_url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        assert parts.path.endswith("/oauth/v2/authorize"), authorize_url
        assert query.get("client_id") == self.client_id, f"unknown client_id in {authorize_url}"
        scopes = [s for s in query.get("scope", "").split(",") if s]
        assert scopes, "an install must ask for at least one scope"
        assert org_wide == (team_id is None), "an org-wide install has no team; a workspace install has one"
        n = next(self._numbers)
        owner = (team_id or enterprise_id or "X").lower()
        token = f"xoxe.xoxb-1-{owner}-{n}" if rotation else f"xoxb-{owner}-{n}-fake"
        grant = Grant(
            token,
            team_id,
            enterprise_name if org_wide else team_name,
            enterprise_id,
            bot_user_id=f"U0BOT{n:04d}",
            bot_id=f"B0BOT{n:04d}",
        )
        code = f"{n}.code.{owner}"
        self._codes[code] = _Pending(
            grant, installer, scopes, query.get("redirect_uri"), lifetime if rotation else None
        )
        if enterprise_id:
            self._enterprise_names[enterprise_id] = enterprise_name
        return Approval(code, query.get("state", ""), scopes, query.get("redirect_uri"))

    # --- oauth.v2.access (called by FakeSlack.handle with its lock held) ---------------

    def access(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange a code (an install) or a refresh token (token rotation)."""
        if args.get("client_id") != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if args.get("grant_type") == "refresh_token":
            return self._refresh(str(args.get("refresh_token") or ""))
        code = args.get("code")
        if not code:
            return {"ok": False, "error": "invalid_arguments"}
        pending = self._codes.pop(str(code), None)  # a code works once
        if pending is None:
            return {"ok": False, "error": "invalid_code"}
        if pending.redirect_uri is not None and args.get("redirect_uri") != pending.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        grant = pending.grant
        if pending.lifetime is not None:
            grant.expires_at = time.time() + pending.lifetime
            grant.refresh_token = f"xoxe-1-refresh-{grant.token[-6:]}"
        self.fake.grants[grant.token] = grant
        answer = self._token_answer(grant, pending.scopes)
        answer["authed_user"] = {"id": pending.installer}
        return answer

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        current = next(
            (g for g in self.fake.grants.values() if g.refresh_token and g.refresh_token == refresh_token),
            None,
        )
        if current is None or current.revoked:
            return {"ok": False, "error": "invalid_refresh_token"}
        n = next(self._numbers)
        renewed = replace(
            current,
            token=f"{current.token.rsplit('-', 1)[0]}-r{n}",
            refresh_token=f"xoxe-1-refresh-r{n}",
            expires_at=time.time() + ROTATING_LIFETIME,
        )
        # The old token keeps working until it expires; its refresh token is spent.
        current.refresh_token = None
        self.refreshes += 1
        self.fake.grants[renewed.token] = renewed
        return self._token_answer(renewed, None)

    def _token_answer(self, grant: Grant, scopes: list[str] | None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": APP_ID,
            "scope": ",".join(scopes or ["commands", "chat:write"]),
            "token_type": "bot",
            "access_token": grant.token,
            "bot_user_id": grant.bot_user_id,
            "team": None if grant.org_wide else {"id": grant.team_id, "name": grant.team_name},
            "enterprise": (
                {"id": grant.enterprise_id, "name": self._enterprise_names.get(grant.enterprise_id, "")}
                if grant.enterprise_id
                else None
            ),
            "is_enterprise_install": grant.org_wide,
        }
        if grant.refresh_token is not None and grant.expires_at is not None:
            answer["refresh_token"] = grant.refresh_token
            answer["expires_in"] = max(0, int(grant.expires_at - time.time()))
        return answer
