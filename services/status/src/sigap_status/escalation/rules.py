"""Escalation ladders, pure: which steps a breached deadline climbs, per department and
category, and when each step is due, counted in working days after the breach (the SLA's
`WorkingCalendar`: weekends, national holidays, cuti bersama and the city's own days off)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sigap_status.sla.rules import WorkingCalendar

_STEP_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
ANY_DEPARTMENT = "*"


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """`name` (e.g. `head_of_department`) is told once `after_days` working days have passed
    since the breach; 0 means at the breach."""

    name: str
    after_days: int


Ladder = tuple[EscalationStep, ...]

DEFAULT_LADDER: Ladder = (EscalationStep("head_of_department", 0), EscalationStep("city", 3))


def parse_ladder(text: str) -> Ladder:
    """`head_of_department:0,city:3` -> its steps. Steps must have distinct names and days
    that do not decrease; an empty text is a ladder without steps (no escalation)."""
    steps: list[EscalationStep] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, days = item.partition(":")
        name = name.strip()
        if not sep or not _STEP_NAME.fullmatch(name) or not days.strip().isdigit():
            raise ValueError(f"escalation step {item!r} is not name:working_days (e.g. city:3)")
        steps.append(EscalationStep(name, int(days)))
    names = [step.name for step in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"escalation ladder {text!r} names a step twice")
    if any(later.after_days < earlier.after_days for earlier, later in zip(steps, steps[1:])):
        raise ValueError(f"escalation ladder {text!r}: a step comes before the one above it")
    return tuple(steps)


def parse_overrides(text: str) -> dict[str, Ladder]:
    """`DISHUB=head_of_department:0,city:1;*/banjir=head_of_department:0,city:0` -> ladders by
    `DEPT`, `DEPT/category` or `*/category` (any department, that category)."""
    overrides: dict[str, Ladder] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, ladder = item.partition("=")
        key = key.strip()
        department, _, category = key.partition("/")
        if not sep or not department or (department == ANY_DEPARTMENT and not category):
            raise ValueError(f"escalation override {item!r} is not DEPT[/category]=ladder or */category=ladder")
        if key in overrides:
            raise ValueError(f"escalation override for {key!r} is given twice")
        overrides[key] = parse_ladder(ladder)
    return overrides


@dataclass(frozen=True)
class EscalationPolicy:
    """The city's default ladder and its overrides; the most specific override wins:
    department and category, then any department with that category, then the department."""

    default: Ladder = DEFAULT_LADDER
    overrides: Mapping[str, Ladder] = field(default_factory=dict)

    def ladder_for(self, *, department: str | None, category: str | None) -> Ladder:
        department, category = department or "", category or ""
        for key in (f"{department}/{category}", f"{ANY_DEPARTMENT}/{category}", department):
            if key in self.overrides:
                return self.overrides[key]
        return self.default

    @property
    def longest(self) -> int:
        return max([len(self.default), *(len(ladder) for ladder in self.overrides.values())])


@dataclass(frozen=True, slots=True)
class DueStep:
    step: EscalationStep
    number: int  # 1-based position on the ladder


def step_due_at(calendar: WorkingCalendar, *, breached_at: datetime, step: EscalationStep) -> datetime:
    """When `step` is due: at the breach for 0 days, else once `after_days` whole working days
    have passed after the breach's day (the first instant after the last of them)."""
    if step.after_days == 0:
        return breached_at
    return calendar.add_working_days(breached_at, step.after_days)


def due_steps(
    ladder: Ladder, calendar: WorkingCalendar, *, breached_at: datetime, now: datetime, fired: Collection[str]
) -> list[DueStep]:
    """The steps of `ladder` due by `now` that have not fired yet, lowest first."""
    return [
        DueStep(step, number)
        for number, step in enumerate(ladder, start=1)
        if step.name not in fired and step_due_at(calendar, breached_at=breached_at, step=step) <= now
    ]


def next_due_at(
    ladder: Ladder, calendar: WorkingCalendar, *, breached_at: datetime, fired: Collection[str]
) -> datetime | None:
    """When the lowest step not fired yet is due; None once every step fired."""
    pending = [step_due_at(calendar, breached_at=breached_at, step=step) for step in ladder if step.name not in fired]
    return min(pending) if pending else None


def working_days_overdue(calendar: WorkingCalendar, *, due_at: datetime, now: datetime) -> int:
    """Working days after the deadline's last day up to and including today's (1 on the
    working day after it)."""
    # `due_at` is the first instant after the deadline's last day.
    return calendar.working_days_between(due_at - timedelta(microseconds=1), now)
