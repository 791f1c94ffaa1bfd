"""What notify holds about a complaint's reporter, for intake's access export (UU 27/2022)."""
