"""SP4N-LAPOR!: the national complaint rules' stages, admin actions, auto-close, export and
outbound connector (docs/lapor.md)."""
