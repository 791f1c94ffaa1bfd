"""A complaint's lifecycle as staff drive it: the state machine and who may do what (`rules`),
the staff complaint view, status transitions, pausing the deadline while waiting for the
reporter, assigning field officers and notes (`router`, `commands`)."""
