"""The outbox: every scheduled message is a `delivery` row before anything is sent.

Features put rows in with :func:`enqueue` (a unique dedupe key makes a second insert a
no-op) and describe how to render their kind of row with a :class:`DeliveryKind`. The
sender in `schedules/sender.py` claims due rows and posts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import Delivery, DeliveryStatus
from bot.sqlutil import insert_ignoring_conflict, insert_many_ignoring_conflict


@dataclass(frozen=True)
class Message:
    """What to post: `chat.postMessage` arguments other than the channel."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    # e.g. {"reply_broadcast": False}; unfurls are always off (links in nudges are ours).
    extra: dict[str, Any] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `WebClient.chat_postMessage`."""
        kwargs: dict[str, Any] = {"text": self.text, "unfurl_links": False, "unfurl_media": False}
        if self.blocks is not None:
            kwargs["blocks"] = self.blocks
        if self.thread_ts:
            kwargs["thread_ts"] = self.thread_ts
        kwargs.update(self.extra)
        return kwargs


class Cancel(Exception):
    """Raised by a renderer when a row should not be sent after all (with the reason)."""


@dataclass(frozen=True)
class ErrorOutcome:
    """What a kind decided about a Slack error on one of its rows.

    `hold`: the row waits for a fix someone must make (invite the app…) — until
    `retry_at` if given, else until the feature re-arms it. A held try does not count
    toward the sender's attempts for transient errors. `retry_at` alone: retry then.
    Neither: the row failed for good.
    """

    note: str
    retry_at: datetime | None = None
    hold: bool = False


Renderer = Callable[[Session, Delivery, Deps], Message]
SentHook = Callable[[Session, Delivery, Deps], None]
ErrorHook = Callable[[Session, Delivery, str, Deps], ErrorOutcome | None]


@dataclass(frozen=True)
class DeliveryKind:
    """How one kind of outbox row is turned into a Slack message, and what follows."""

    name: str
    render: Renderer
    on_sent: SentHook | None = None
    # Kind-specific Slack errors (say `not_in_channel` for channel prompts); return None
    # to fall back to the sender's general rules.
    on_error: ErrorHook | None = None
    # Direct messages respect the person's pause, stop and active flags at send time.
    to_person: bool = True


@dataclass(frozen=True)
class Queued:
    """One outbox row to add with `enqueue_many` (the arguments of `enqueue`)."""

    team_id: str
    kind: str
    recipient: str
    dedupe_key: str
    due_at: datetime
    payload: dict[str, Any] | None = None
    person_id: int | None = None
    expires_at: datetime | None = None


def enqueue(
    session: Session,
    *,
    team_id: str,
    kind: str,
    recipient: str,
    dedupe_key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    person_id: int | None = None,
    expires_at: datetime | None = None,
    any_hour: bool = False,
) -> bool:
    """Add a row to the outbox; returns False if a row with this dedupe key exists.

    A DM is held back to the person's allowed hours at send time unless `any_hour`
    (something they asked for just now).
    """
    if any_hour:
        payload = {**(payload or {}), "any_hour": True}
    return insert_ignoring_conflict(
        session,
        Delivery,
        {
            "team_id": team_id,
            "kind": kind,
            "recipient": recipient,
            "dedupe_key": dedupe_key,
            "due_at": due_at,
            "next_attempt_at": due_at,
            "expires_at": expires_at,
            "payload": payload or {},
            "person_id": person_id,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
        },
        ["dedupe_key"],
    )


def enqueue_many(session: Session, rows: Sequence[Queued]) -> dict[str, int]:
    """Add many rows to the outbox in a few statements; returns the id of each row
    created, by dedupe key (keys that already existed are left out, as `enqueue`'s False).

    For batches such as a planner tick, where one INSERT per row was most of the cost.
    """
    values = [
        {
            "team_id": row.team_id,
            "kind": row.kind,
            "recipient": row.recipient,
            "dedupe_key": row.dedupe_key,
            "due_at": row.due_at,
            "next_attempt_at": row.due_at,
            "expires_at": row.expires_at,
            "payload": row.payload or {},
            "person_id": row.person_id,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
        }
        for row in rows
    ]
    created = insert_many_ignoring_conflict(session, Delivery, values, ["dedupe_key"], ["dedupe_key", "id"])
    return {key: delivery_id for key, delivery_id in created}


def cancel_open_for_person(
    session: Session,
    person_id: int,
    reason: str,
    *,
    kinds: Iterable[str] | None = None,
    due_before: datetime | None = None,
) -> int:
    """Cancel a person's rows that have not been sent (pause, stop, deactivation).

    Rows mid-send are left alone: their Slack call may already have happened.
    `due_before` limits it to rows due before that instant (a pause's end): a nudge
    planned for after the pause is still wanted, and cancelling it would also burn its
    dedupe key, so the planner could not plan that slot again.
    """
    statement = (
        update(Delivery)
        .where(
            Delivery.person_id == person_id,
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
        )
        .values(status=DeliveryStatus.CANCELLED, error=reason, lease_until=None)
    )
    if kinds is not None:
        statement = statement.where(Delivery.kind.in_(list(kinds)))
    if due_before is not None:
        statement = statement.where(Delivery.next_attempt_at < due_before)
    return session.execute(statement).rowcount or 0


# Rows whose message may be in Slack though we never wrote down where (bot.models.core).
UNCERTAIN = (DeliveryStatus.SENDING, DeliveryStatus.INTERRUPTED)


def adopt_clicked_message(session: Session, delivery: Delivery, channel: str | None, ts: str | None) -> bool:
    """A click on a message of ours proves Slack has it: record where, if we did not.

    A row interrupted mid-send (a crash, or Slack's answer lost) has no channel or ts;
    the click carries both, so the row becomes `sent` with them and the feature can do
    what it would have done when the message was first recorded. Returns True when the
    row was adopted (False: nothing to adopt, or it was already recorded).
    """
    if delivery.status not in UNCERTAIN or not channel or not ts:
        return False
    delivery.status, delivery.channel, delivery.ts, delivery.lease_until = (
        DeliveryStatus.SENT,
        channel,
        ts,
        None,
    )
    delivery.sent_at = slack_ts_time(ts) or delivery.next_attempt_at
    delivery.error = "recorded from a click on the message (its send had been interrupted)"
    return True


def slack_ts_time(ts: str) -> datetime | None:
    """The moment a Slack message ts stands for (seconds since 1970, UTC)."""
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def delivery_counts(session: Session, team_id: str, since: datetime) -> dict[str, int]:
    """How many of a workspace's messages due since `since` are in each state, for
    admins: `interrupted` (maybe delivered, never resent) is counted on its own."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.team_id == team_id, Delivery.due_at >= since)
        .group_by(Delivery.status)
    ).all()
    return {status: count for status, count in rows}


def find_by_message(session: Session, channel: str, ts: str) -> Delivery | None:
    """The outbox row that produced the Slack message at (`channel`, `ts`)."""
    return session.scalars(select(Delivery).where(Delivery.channel == channel, Delivery.ts == ts)).first()


# --- the plain direct-message kind -------------------------------------------------------

MESSAGE_KIND = "message"


def enqueue_message(
    session: Session,
    *,
    team_id: str,
    recipient: str,
    dedupe_key: str,
    due_at: datetime,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    person_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a ready-made message (welcomes, notices): the text is stored with the row."""
    return enqueue(
        session,
        team_id=team_id,
        kind=MESSAGE_KIND,
        recipient=recipient,
        dedupe_key=dedupe_key,
        due_at=due_at,
        payload={"text": text, "blocks": blocks},
        person_id=person_id,
        expires_at=expires_at,
    )


def _render_stored_message(_session: Session, delivery: Delivery, _deps: Deps) -> Message:
    payload = delivery.payload or {}
    return Message(text=payload.get("text") or "", blocks=payload.get("blocks"))


def message_kind() -> DeliveryKind:
    """The kind for rows queued with :func:`enqueue_message`."""
    return DeliveryKind(name=MESSAGE_KIND, render=_render_stored_message)
