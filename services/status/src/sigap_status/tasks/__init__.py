"""A field officer's tasks: the open complaints assigned to them, nearest first from where the
officer stands (or oldest first without a position), with what the phone view needs to get
there (coordinates, address, description) and the SLA countdown."""
