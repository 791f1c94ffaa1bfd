"""What routing holds about a complaint's reporter, for intake's personal-data requests."""
