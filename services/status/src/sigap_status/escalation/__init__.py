"""Escalation ladders: after a working-day deadline is breached, each step of the department's
(and category's) ladder is told once (`rules`, pure), by the SLA sweep (`sweep`)."""
