"""Intake: where a complaint enters Sigap (the gateway for mobile apps and the citizen page)."""
