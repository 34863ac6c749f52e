"""Pool services: join/leave and the profile, opportunities, interest, choosing (first come,
chosen, or drawn by shortlisting's lottery with a region quota), sessions and the register.

Attendance makes each attendee's fee as a partners `Involvement` (priced by the opportunity's
role's rate card on the session's day, with the person's fee choice), so the existing approval
and payment runs pay it; there is no new payment path. `Attendance` is unique per (session,
person) and holds its involvement: a second register never makes a second fee. A change after
the fee was scheduled or paid leaves the fee alone and records a `FeeCorrection`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select, update

from lep import audit
from lep.extensions import db
from lep.forms import strip
from lep.notifications.services import deliver_queued, queue_email
from lep.partners.involvement import Rates, price_fee
from lep.partners.models import Involvement
from lep.pool.models import (
    ACTIVITY_KINDS,
    ATTENDANCE,
    HOW_CHOSEN,
    Attendance,
    FeeCorrection,
    Interest,
    LivedExperience,
    Opportunity,
    PoolProfile,
    PoolSession,
)
from lep.roles.models import Role
from lep.roles.pay import rate_in_force
from lep.service import LONDON, DomainError, after_commit, commit, london_today, utcnow

COORDINATORS = ("coordinator", "hr")


def _text(value: str | None, limit: int = 2_000) -> str:
    return str(strip(value or ""))[:limit]


def _need_coordinator(actor: Any) -> None:
    if not actor.has_role(*COORDINATORS):
        raise DomainError("Only the pool's coordinators can do this")


# -- Profile ------------------------------------------------------------------------------------


def profile_for(user: Any) -> PoolProfile | None:
    return db.session.scalar(select(PoolProfile).where(PoolProfile.user_id == user.id))


def join(user: Any) -> PoolProfile:
    if not user.has_role("partner", "applicant"):
        raise DomainError("The pool is for partners and applicants who ask to join it")
    profile = profile_for(user)
    if profile is None:
        profile = PoolProfile(user_id=user.id)
        db.session.add(profile)
    profile.left_at = None
    db.session.flush()
    audit.record("pool.joined", "pool_profile", profile.id, actor=user)
    commit()
    return profile


def leave(user: Any) -> None:
    profile = profile_for(user)
    if profile is None or profile.left_at is not None:
        raise DomainError("You are not in the pool")
    profile.left_at = utcnow()
    audit.record("pool.left", "pool_profile", profile.id, actor=user)
    commit()


def save_profile(user: Any, **fields: str) -> PoolProfile:
    profile = profile_for(user)
    if profile is None or profile.left_at is not None:
        raise DomainError("Join the pool first")
    kinds = [k for k in (fields.get("kinds") or "").split(",") if k]
    if any(k not in ACTIVITY_KINDS for k in kinds):
        raise DomainError({"kinds": "Select the kinds of activity from the list"})
    profile.kinds = ",".join(kinds)
    for name in ("topics", "skills", "regions", "times", "access_needs"):
        setattr(profile, name, _text(fields.get(name)))
    if fields.get("taking_part"):
        profile.taking_part = fields["taking_part"]
    if fields.get("contact"):
        profile.contact = fields["contact"]
    if fields.get("fee_choice"):
        profile.fee_choice = fields["fee_choice"]
    if "lived_experience" in fields:
        lived = db.session.scalar(select(LivedExperience).where(LivedExperience.user_id == user.id))
        if lived is None:
            lived = LivedExperience(user_id=user.id)
            db.session.add(lived)
        lived.areas = _text(fields["lived_experience"])
    # The audit names what changed, never access needs or lived experience themselves.
    audit.record(
        "pool.profile_saved",
        "pool_profile",
        profile.id,
        after={"kinds": profile.kinds},
        actor=user,
    )
    commit()
    return profile


def lived_experience_for(person_id: int, viewer: Any) -> str | None:
    """Only the person and coordinators read this."""
    if viewer.id != person_id and not viewer.has_role("coordinator"):
        return None
    lived = db.session.scalar(select(LivedExperience).where(LivedExperience.user_id == person_id))
    return lived.areas if lived else ""


def access_needs_for(session: PoolSession, person_id: int, viewer: Any) -> str | None:
    """Shown only to the organiser (the opportunity's coordinator) of an activity the person
    joined (chosen for it)."""
    opportunity = session.opportunity
    if viewer.id != opportunity.created_by_id:
        return None
    chosen = db.session.scalar(
        select(Interest.id).where(
            Interest.opportunity_id == opportunity.id,
            Interest.user_id == person_id,
            Interest.status == "chosen",
        )
    )
    if chosen is None:
        return None
    profile = db.session.scalar(select(PoolProfile).where(PoolProfile.user_id == person_id))
    return profile.access_needs if profile else ""


# -- Opportunities ------------------------------------------------------------------------------


def _matches(profile: PoolProfile, opp: Opportunity) -> bool:
    if opp.for_kind and opp.for_kind not in profile.tags("kinds"):
        return False
    if opp.for_topic and opp.for_topic.lower() not in profile.tags("topics"):
        return False
    return not (opp.for_region and opp.for_region not in profile.tags("regions"))


def matching_profiles(opp: Opportunity) -> list[PoolProfile]:
    profiles = db.session.scalars(
        select(PoolProfile).where(PoolProfile.left_at.is_(None)).order_by(PoolProfile.id)
    )
    return [p for p in profiles if _matches(p, opp)]


def offer(
    actor: Any,
    *,
    title: str,
    places: int | None,
    sessions: list[tuple[str, dt.datetime, dt.datetime]],
    how_chosen: str = "first_come",
    role_id: int | None = None,
    programme_id: int | None = None,
    **fields: Any,
) -> Opportunity:
    """Offer an activity to the pool; matching partners are told once it is kept."""
    _need_coordinator(actor)
    errors: dict[str, str] = {}
    title = _text(title, 200)
    if not title:
        errors["title"] = "Enter what the activity is"
    if places is None or places < 1:
        errors["places"] = "Enter how many places there are: at least 1"
    if how_chosen not in HOW_CHOSEN:
        errors["how_chosen"] = "Select how people are chosen"
    if how_chosen == "lottery" and places and fields.get("quota_min", 0) > places:
        errors["quota_min"] = (
            f"The quota asks for {fields['quota_min']} places but there are only {places}"
        )
    if role_id is not None and db.session.get(Role, role_id) is None:
        errors["role_id"] = "Select the role whose rate card pays this"
    now = utcnow()
    if not sessions:
        errors["sessions"] = "Add at least one session"
    for _name, starts, ends in sessions:
        if starts <= now:
            errors["sessions"] = "A session of a new opportunity must be in the future"
        elif ends <= starts:
            errors["sessions"] = "A session must end after it starts"
    if errors:
        raise DomainError(errors)
    opp = Opportunity(
        title=title,
        places=places,
        how_chosen=how_chosen,
        role_id=role_id,
        programme_id=programme_id,
        created_by_id=actor.id,
        **{k: v for k, v in fields.items() if v is not None},
    )
    db.session.add(opp)
    db.session.flush()
    for name, starts, ends in sessions:
        db.session.add(
            PoolSession(
                opportunity_id=opp.id,
                title=_text(name, 200) or title,
                starts_at=starts,
                ends_at=ends,
            )
        )
    audit.record(
        "pool.opportunity_offered",
        "pool_opportunity",
        opp.id,
        after={"title": title, "places": places, "how_chosen": how_chosen},
        actor=actor,
    )
    messages = [
        queue_email(
            p.user.email,
            f"An opportunity for you: {title}",
            "pool_opportunity",
            opportunity=opp,
            person=p.user,
        )
        for p in matching_profiles(opp)
        if p.contact == "email"
    ]
    if messages:
        after_commit(lambda: deliver_queued(*messages))
    commit()
    return opp


def open_for(user: Any) -> list[Opportunity]:
    profile = profile_for(user)
    if profile is None or profile.left_at is not None:
        return []
    opps = db.session.scalars(
        select(Opportunity).where(Opportunity.status == "open").order_by(Opportunity.id)
    )
    return [o for o in opps if _matches(profile, o)]


def say_interested(user: Any, opp: Opportunity, note: str = "") -> Interest:
    if opp not in open_for(user):
        raise DomainError("This opportunity is not open to you")
    existing = db.session.scalar(
        select(Interest).where(Interest.opportunity_id == opp.id, Interest.user_id == user.id)
    )
    if existing is not None:
        raise DomainError("You have already said you are interested")
    interest = Interest(opportunity_id=opp.id, user_id=user.id, note=_text(note))
    db.session.add(interest)
    db.session.flush()
    audit.record("pool.interested", "pool_interest", interest.id, actor=user)
    commit()
    return interest


def interested(opp: Opportunity) -> list[Interest]:
    return list(
        db.session.scalars(
            select(Interest)
            .where(Interest.opportunity_id == opp.id, Interest.status != "withdrawn")
            .order_by(Interest.created_at, Interest.id)
        )
    )


def _region(user_id: int) -> str:
    profile = db.session.scalar(select(PoolProfile).where(PoolProfile.user_id == user_id))
    regions = sorted(profile.tags("regions")) if profile else []
    return regions[0] if regions else "none"


def choose(
    actor: Any, opp: Opportunity, chosen_ids: list[int] | None = None, seed: int | None = None
) -> list[int]:
    """Choose (or draw) and tell everyone the outcome once: a guarded UPDATE moves the
    opportunity from open to decided, so a second press changes and sends nothing."""
    _need_coordinator(actor)
    people = interested(opp)
    ids = [i.user_id for i in people]
    if opp.how_chosen == "first_come":
        chosen = ids[: opp.places]
    elif opp.how_chosen == "chosen":
        chosen = [i for i in (chosen_ids or []) if i in ids]
        if not chosen:
            raise DomainError({"chosen": "Select who is chosen, from those interested"})
        if len(chosen) > opp.places:
            raise DomainError({"chosen": f"There are only {opp.places} places"})
    else:
        chosen = _draw(opp, ids, seed)
    moved = db.session.execute(
        update(Opportunity)
        .where(Opportunity.id == opp.id, Opportunity.status == "open")
        .values(status="decided", decided_at=utcnow(), outcome_sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError("People were already chosen for this opportunity")
    messages = []
    for interest in people:
        interest.status = "chosen" if interest.user_id in chosen else "not_chosen"
        messages.append(
            queue_email(
                interest.user.email,
                f"{opp.title}: you have been chosen"
                if interest.status == "chosen"
                else f"{opp.title}: not this time",
                "pool_outcome",
                opportunity=opp,
                person=interest.user,
                interest=interest,
            )
        )
    audit.record(
        "pool.chosen",
        "pool_opportunity",
        opp.id,
        after={"chosen": chosen, "how": opp.how_chosen},
        actor=actor,
    )
    if messages:
        after_commit(lambda: deliver_queued(*messages))
    commit()
    return chosen


def _draw(opp: Opportunity, ids: list[int], seed: int | None) -> list[int]:
    from sortition_algorithms.errors import SortitionBaseError

    from lep.shortlisting.lottery import draw_panel

    places = min(opp.places, len(ids))
    if places == 0:
        raise DomainError({"chosen": "Nobody has said they are interested yet"})
    regions = {i: _region(i) for i in ids}
    quotas = []
    if opp.quota_region and opp.quota_min:
        have = sum(1 for r in regions.values() if r == opp.quota_region)
        if have < opp.quota_min:
            raise DomainError(
                {
                    "quota_min": (
                        f"The quota needs at least {opp.quota_min} from {opp.quota_region} "
                        "but only "
                        f"{have} of those interested are there"
                    )
                }
            )
        quotas.append(
            {
                "category_id": 1,
                "category": "Region",
                "option": opp.quota_region,
                "min": opp.quota_min,
                "max": None,
            }
        )
    answers = {i: {1: regions[i]} for i in ids}
    try:
        panel = draw_panel(
            answers, quotas, places, seed if seed is not None else secrets.randbelow(2**31)
        )
    except SortitionBaseError as error:
        raise DomainError({"quota_min": f"The quota cannot be met: {error}"}) from error
    return panel.selected


# -- Sessions and the register ------------------------------------------------------------------


def record_attendance(
    actor: Any, session: PoolSession, lines: dict[int, tuple[str, dt.datetime | None]]
) -> list[Attendance]:
    """The register: {person id: (present | left_early | absent, left at)}. Makes or adjusts
    each attendee's fee. Every problem is reported at the person's field."""
    _need_coordinator(actor)
    opp = session.opportunity
    chosen = {i.user_id for i in interested(opp) if i.status == "chosen"}
    errors: dict[str, str] = {}
    if session.starts_at > utcnow():
        errors["form"] = "Attendance can be recorded once the session has started"
    for person_id, (status, left_at) in lines.items():
        field = f"attendance-{person_id}"
        if person_id not in chosen:
            errors[field] = "This person is not registered for this session"
        elif person_id == actor.id:
            errors[field] = "You cannot mark your own attendance"
        elif status not in ATTENDANCE:
            errors[field] = "Select present, left early or absent"
        elif status == "left_early" and (
            left_at is None or not session.starts_at < left_at < session.ends_at
        ):
            errors[field] = "Enter when they left, during the session"
        elif status != "absent" and _overlaps(session, person_id):
            errors[field] = "This person was recorded at another session at the same time"
    if errors:
        raise DomainError(errors)
    session.attendance_by_id = actor.id
    kept = []
    for person_id, (status, left_at) in lines.items():
        ends = left_at if status == "left_early" and left_at else session.ends_at
        minutes = 0 if status == "absent" else int((ends - session.starts_at).total_seconds() // 60)
        line = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == session.id, Attendance.user_id == person_id
            )
        )
        if line is None:
            line = Attendance(session_id=session.id, user_id=person_id, status=status)
            db.session.add(line)
        line.status, line.left_at, line.minutes = status, left_at, minutes
        db.session.flush()
        _fee(actor, session, line)
        kept.append(line)
    audit.record(
        "pool.attendance_recorded",
        "pool_session",
        session.id,
        after={str(k): v[0] for k, v in lines.items()},
        actor=actor,
    )
    commit()
    return kept


def _overlaps(session: PoolSession, person_id: int) -> bool:
    return (
        db.session.scalar(
            select(Attendance.id)
            .join(PoolSession, PoolSession.id == Attendance.session_id)
            .where(
                Attendance.user_id == person_id,
                Attendance.status != "absent",
                PoolSession.id != session.id,
                PoolSession.starts_at < session.ends_at,
                PoolSession.ends_at > session.starts_at,
            )
            .limit(1)
        )
        is not None
    )


def _price(session: PoolSession, minutes: int) -> tuple[Any, Any, int, str]:
    role = db.session.get(Role, session.opportunity.role_id)
    assert role is not None
    day = session.starts_at.astimezone(LONDON).date()
    if role.rate_card is None or minutes == 0:
        return None, None, 0, "No fee: absent" if minutes == 0 else "No rate card"
    rate = rate_in_force(role.rate_card, day)
    if rate is None:
        raise DomainError({"form": f"No rate on the {role.rate_card.name} card on {day}"})
    rates = Rates(rate.hourly_pence, rate.half_day_pence, rate.day_pence, rate.half_day_max_hours)
    try:
        priced = price_fee(rates, "hours", minutes, 0)
    except DomainError as error:
        raise DomainError({"form": error.errors.get("duration_kind", str(error))}) from error
    return rates, role.rate_card, priced.fee_pence, priced.working


def _fee(actor: Any, session: PoolSession, line: Attendance) -> None:
    opp = session.opportunity
    if opp.role_id is None:
        return  # voluntary, with expenses
    rates, card, fee, working = _price(session, line.minutes)
    if line.involvement_id is None:
        if line.minutes == 0:
            return
        profile = db.session.scalar(select(PoolProfile).where(PoolProfile.user_id == line.user_id))
        inv = Involvement(
            user_id=line.user_id,
            role_id=opp.role_id,
            appointment_id=None,
            happened_on=session.starts_at.astimezone(LONDON).date(),
            description=f"{opp.title}: {session.title}",
            duration_kind="hours",
            minutes=line.minutes,
            prep_minutes=0,
            rate_card_id=card.id if card else None,
            hourly_pence=rates.hourly_pence if rates else None,
            half_day_pence=rates.half_day_pence if rates else None,
            day_pence=rates.day_pence if rates else None,
            fee_pence=fee,
            fee_working=working,
            fee_choice=profile.fee_choice if profile else "pay",
            status="submitted",
            decision_note="",
        )
        db.session.add(inv)
        db.session.flush()
        line.involvement_id = inv.id
        audit.record(
            "involvement.from_register",
            "involvement",
            inv.id,
            after={"fee_pence": fee, "session_id": session.id},
            actor=actor,
        )
        return
    found = db.session.get(Involvement, line.involvement_id)
    assert found is not None
    inv = found
    if inv.fee_pence == fee:
        return
    # Not yet on its way: reprice it, guarded so a payment run that took it first wins.
    moved = db.session.execute(
        update(Involvement)
        .where(Involvement.id == inv.id, Involvement.status.in_(("submitted", "approved")))
        .values(
            fee_pence=fee,
            fee_working=working,
            minutes=line.minutes,
            status="submitted",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if moved == 1:
        audit.record(
            "involvement.repriced_from_register",
            "involvement",
            inv.id,
            before={"fee_pence": inv.fee_pence},
            after={"fee_pence": fee},
            actor=actor,
        )
        db.session.refresh(inv)
        return
    correction = FeeCorrection(
        attendance_id=line.id,
        involvement_id=inv.id,
        was_pence=inv.fee_pence,
        now_pence=fee,
        reason=f"Attendance changed to {ATTENDANCE[line.status].lower()} after the fee was "
        f"{inv.status_text.lower()}",
        on_date=london_today(),
    )
    db.session.add(correction)
    db.session.flush()
    audit.record(
        "pool.fee_correction",
        "pool_fee_correction",
        correction.id,
        after={"was_pence": inv.fee_pence, "now_pence": fee},
        actor=actor,
    )


def approval_problem(inv: Involvement, user: Any) -> str:
    """Separation of duties for register fees: whoever recorded the register may not approve
    the fees it made."""
    line = db.session.scalar(select(Attendance).where(Attendance.involvement_id == inv.id))
    if line is None:
        return ""
    session = db.session.get(PoolSession, line.session_id)
    if session is not None and session.attendance_by_id == user.id:
        return "You recorded the attendance that made this fee, so someone else must approve it"
    return ""


def registered_on(user_id: int, day: dt.date) -> PoolSession | None:
    """A session this person is on the register of, that day (their fee comes from it)."""
    start = dt.datetime.combine(day, dt.time(), LONDON).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    return db.session.scalar(
        select(PoolSession)
        .join(Attendance, Attendance.session_id == PoolSession.id)
        .where(
            Attendance.user_id == user_id,
            PoolSession.starts_at >= start,
            PoolSession.starts_at < end,
        )
        .limit(1)
    )
