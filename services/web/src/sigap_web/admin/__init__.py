"""The city admin's pages (`/admin/...`, role city_admin only): staff accounts, SLA settings,
the routing taxonomy, message templates, department webhooks and the triage desk; and the
page where a new staff member sets their own password with a setup code (`/atur-sandi`)."""
