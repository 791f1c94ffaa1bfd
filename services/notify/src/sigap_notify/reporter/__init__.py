"""Reporters who subscribe a channel (email, web push) to their complaint directly with notify,
proven by tracking code and follow-up token: often the only way a rahasia or anonim reporter
hears back. Their addresses are stored only sealed."""
