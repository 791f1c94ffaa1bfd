-- One database per service, each owning its own schema (see services/*/src/*/migrations).
-- The postgres image runs this once, as POSTGRES_USER, when its data volume is empty.
CREATE DATABASE sigap_intake;
CREATE DATABASE sigap_routing;
CREATE DATABASE sigap_status;
CREATE DATABASE sigap_notify;
