"""The SLA settings status uses, for staff to read: working-day targets (defaults and per
category) and the calendar of days off. Read-only: they are service settings."""
