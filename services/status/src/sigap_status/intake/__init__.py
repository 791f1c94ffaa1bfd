"""Status's client for intake's internal API (INTAKE_CONTRACT.md): after-photos, photos and
identities stay in intake; status only asks."""
