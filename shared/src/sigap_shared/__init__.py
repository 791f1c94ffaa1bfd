"""Sigap's shared library: the event contract, Kafka and PostgreSQL plumbing
(outbox, inbox, migrations), settings, logging and HTTP conventions every service uses."""
