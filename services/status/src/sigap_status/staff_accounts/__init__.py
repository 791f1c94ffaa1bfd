"""Staff accounts for the city admin: create, list, deactivate and reactivate accounts and
reset passwords with one-time setup codes, every change audited. Used by the HTTP API
(`router`) and by `sigap-status-admin` alike (`commands`)."""
