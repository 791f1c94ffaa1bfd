"""Counts, times to verify and finish, and SLA compliance, for staff (their department's) and
the public (every department's performance)."""
