"""Rotas in the outbox: the rotation check-ins (rendered at send time, cancelled if the
pair ended), and telling a person, once, that their calendar feed stopped working.

Dedupe keys: `rotation:<team>:<stage>:<pair>:<rotation>` for a mentor's day-1 and
mid-rotation check-ins, `rotation:<team>:end:<mentee>:<rotation>` for the mentee's
end-of-rotation prompt, `rota-feed:<team>:<feed>:<first failure>` for the feed notice.
A rotation seen again (a re-import, a feed refresh) makes the same keys: nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.deps import Deps
from bot.models import Delivery, Pair, Person, RotaFeed
from bot.outbox import Cancel, DeliveryKind, Message, enqueue, enqueue_message
from bot.rota.blocks import checkin_blocks, checkin_text
from bot.rota.rules import STAGE_GRACE
from bot.rota.service import allowed_moment
from bot.rota.types import CHECKIN_KIND, END

FEED_NOTICE_LIFETIME_DAYS = 7


def queue_checkin(
    session: Session,
    settings: Settings,
    *,
    stage: str,
    recipient: Person,
    mentee: Person,
    pair_id: int | None,
    rotation_key: str,
    label: str | None,
    last_day: date,
    begins: datetime,
    now: datetime,
) -> bool:
    """Queue one check-in for the recipient's next allowed moment on or after its day."""
    whom = f"end:{mentee.user_id}" if stage == END else f"{stage}:{pair_id}"
    due = allowed_moment(session, settings, recipient, max(now, begins))
    return enqueue(
        session,
        team_id=recipient.team_id,
        kind=CHECKIN_KIND,
        recipient=recipient.user_id,
        dedupe_key=f"rotation:{recipient.team_id}:{whom}:{rotation_key}",
        due_at=due,
        expires_at=begins + STAGE_GRACE,
        person_id=recipient.id,
        payload={
            "stage": stage,
            "pair_id": pair_id,
            "mentee": mentee.user_id,
            "label": label,
            "last_day": last_day.isoformat(),
            "rotation": rotation_key,
        },
    )


def _day_words(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day:%a} {day.day} {day:%b}"


def _render_checkin(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    payload = delivery.payload or {}
    stage = str(payload.get("stage"))
    if stage != END:
        pair = session.get(Pair, payload.get("pair_id"))
        if pair is None or pair.ended_at is not None or pair.team_id != delivery.team_id:
            raise Cancel("the pair this rotation check-in is about has ended")
    ends_on = _day_words(str(payload.get("last_day")))
    arguments = {
        "mentee_user_id": str(payload.get("mentee")),
        "label": payload.get("label"),
        "ends_on": ends_on,
    }
    return Message(
        text=checkin_text(stage, **arguments),
        blocks=checkin_blocks(stage, rotation_key=str(payload.get("rotation")), **arguments),
    )


def rota_kinds() -> list[DeliveryKind]:
    """The outbox kinds this feature adds (registered in schedules/kinds.py)."""
    return [DeliveryKind(name=CHECKIN_KIND, render=_render_checkin)]


def feed_failure_text(problem: str) -> str:
    """The one message a person gets when their calendar feed stops working."""
    return (
        f"I couldn't read your calendar feed ({problem}), so Mentor Nudge may not know your latest shifts "
        "and could message you on duty. I'll quietly try again once a day. If your scheduling system gave "
        "you a new link, send it with `/mentor rota feed <link>`; `/mentor rota feed off` removes the feed."
    )


def tell_feed_failed(
    session: Session, settings: Settings, feed: RotaFeed, person: Person, now: datetime
) -> None:
    """Tell the owner once per run of failures (inside their hours, through the outbox)."""
    assert feed.failing_since is not None
    due = allowed_moment(session, settings, person, now)
    enqueue_message(
        session,
        team_id=feed.team_id,
        recipient=person.user_id,
        dedupe_key=f"rota-feed:{feed.team_id}:{feed.id}:{feed.failing_since:%Y%m%dT%H%M%S}",
        due_at=due,
        text=feed_failure_text(feed.last_error or "it didn't answer"),
        person_id=person.id,
    )
    feed.failure_told_at = now
