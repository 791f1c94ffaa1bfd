"""The department dashboard (`/dasbor`): the queue, a complaint's page, the staff actions on
it and the live updates, for department admins, the city admin and auditors."""
