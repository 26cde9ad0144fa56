"""The fake Slack's Web API methods (users, conversations, chat, views, files): a mixin of FakeSlack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.block_limits import message_errors, view_errors

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeUser


class SlackMethods:
    """What each Web API method does; `FakeSlack` (tests/fakes/slack_api.py) dispatches to these by
    method name, with its lock held, and they read and write its state."""

    # --- method implementations (called with the lock held) -------------------------

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        grant = self._grant
        assert grant is not None
        answer = {
            "ok": True,
            "url": f"https://{grant.team_name.split()[0].lower()}.slack.com/",
            "team": grant.team_name,
            "user": "mentor_nudge",
            # An org-wide token answers for the org itself.
            "team_id": grant.team_id or grant.enterprise_id,
            "user_id": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "is_enterprise_install": grant.org_wide,
        }
        if grant.enterprise_id is not None:
            answer["enterprise_id"] = grant.enterprise_id
        return answer

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user(args["user"])
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user.as_slack()}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args["email"]).strip().lower()
        for user in self.users.values():
            visible = self._user(user.id) is not None
            if visible and user.email and user.email.lower() == email and not user.deleted:
                return {"ok": True, "user": user.as_slack()}
        return {"ok": False, "error": "users_not_found"}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        # Cursor pagination the way Slack does it: an opaque cursor, "" on the last page.
        limit = int(args.get("limit") or 200)
        start = int(args.get("cursor") or 0)
        # The cursor is a position among all members, so each page costs only its own
        # length: filtering the whole workspace per page made a 200,000-member sweep
        # quadratic (minutes in the roster import benchmark).
        ids = list(self.users)
        page: list[FakeUser] = []
        position = start
        while position < len(ids) and len(page) < limit:
            user = self._user(ids[position])
            position += 1
            if user is not None:
                page.append(user)
        cursor = str(position) if position < len(ids) else ""
        return {
            "ok": True,
            "members": [u.as_slack() for u in page],
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "").split(",")
        if not users or self._user(users[0]) is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + users[0][1:]}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_member": channel.is_member,
                "is_archived": channel.is_archived,
                "is_private": channel.is_private,
            },
        }

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel is None or (channel.is_private and not channel.is_member):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": list(channel.members), "response_metadata": {"next_cursor": ""}}

    @property
    def caller_token(self) -> str | None:
        """The bot token of the method now running (None outside a call)."""
        return self._grant.token if self._grant else None

    def knows_conversation(self, channel: str) -> bool:
        """Whether `channel` is a conversation id the caller may post in (not a user id)."""
        return not channel.startswith(("U", "W")) and self._resolve_channel(channel)[1] is None

    def _resolve_channel(self, target: str) -> tuple[str | None, str | None]:
        """(channel id to post in, error) for a chat.* `channel` argument."""
        if target.startswith(("U", "W")):
            user = self._user(target)
            if user is None:
                return None, "channel_not_found"
            if user.deleted:
                return None, "user_disabled"
            return "D" + target[1:], None
        if target.startswith("D"):
            # A DM's id is the member's with D for U or W (see _conversations_open).
            owner = self._user("U" + target[1:]) or self._user("W" + target[1:])
            return (target, None) if owner is not None else (None, "channel_not_found")
        channel = self._channel(target)
        if channel is None or (channel.is_private and not channel.is_member):
            return None, "channel_not_found"
        if channel.is_archived:
            return None, "is_archived"
        if not channel.is_member:
            return None, "not_in_channel"
        return target, None

    def _check_message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        errors = message_errors(args.get("text"), args.get("blocks"))
        if errors:
            return {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": errors}}
        return None

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.slack_api import BOT_USER_ID  # here: slack_api imports this module

        problem = self._check_message(args)
        if problem:
            return problem
        channel, error = self._resolve_channel(str(args["channel"]))
        if error:
            return {"ok": False, "error": error}
        assert channel is not None
        thread_ts = args.get("thread_ts")
        if thread_ts and not any(m["ts"] == thread_ts for m in self.messages[channel]):
            return {"ok": False, "error": "thread_not_found"}
        ts = f"{1_760_000_000 + next(self._ts)}.000100"
        message = {
            "ts": ts,
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "thread_ts": thread_ts,
            "user": self._grant.bot_user_id if self._grant else BOT_USER_ID,
            "metadata": args.get("metadata"),
        }
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = self._check_message(args)
        if problem:
            return problem
        for message in self.messages.get(args["channel"], []):
            if message["ts"] == args["ts"]:
                message.update({"text": args.get("text"), "blocks": args.get("blocks")})
                return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}
        return {"ok": False, "error": "message_not_found"}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = self._check_message(args)
        if problem:
            return problem
        if self._user(args["user"]) is None:
            return {"ok": False, "error": "user_not_in_channel"}
        _channel, error = self._resolve_channel(str(args["channel"]))
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": f"{1_760_000_000 + next(self._ts)}.000200"}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = self.messages.get(args["channel"], [])
        for i, message in enumerate(messages):
            if message["ts"] == args["ts"]:
                del messages[i]
                return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args["message_ts"]).replace(".", "")
        return {
            "ok": True,
            "channel": args["channel"],
            "permalink": f"https://riverside.slack.com/archives/{args['channel']}/p{ts}",
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["trigger_id"] in self.expired_triggers:
            return {"ok": False, "error": "expired_trigger_id"}
        errors = view_errors(args["view"])
        if errors:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": errors}}
        view_id = f"V{next(self._ids):08d}"
        view = {**args["view"], "id": view_id, "hash": f"h{view_id}"}
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (v["id"] for v in self.views.values() if v.get("external_id") == args["external_id"]), None
            )
        if not view_id or view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        errors = view_errors(args.get("view"))
        if errors:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": errors}}
        view = {**args["view"], "id": view_id, "hash": f"h{view_id}-{next(self._ids)}"}
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        errors = view_errors(args["view"])
        if errors:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": errors}}
        if self._user(args["user_id"]) is None:
            return {"ok": False, "error": "user_not_found"}
        view = {**args["view"], "id": f"V{next(self._ids):08d}"}
        self.home_views[args["user_id"]] = view
        return {"ok": True, "view": view}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(args["file"])
        if stored is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": {
                "id": args["file"],
                "name": stored[0],
                "size": len(stored[1]),
                "url_private_download": f"{self.base}/files/{args['file']}/download",
            },
        }

    def _apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_url}
