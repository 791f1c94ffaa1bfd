"""The audited reveal of a reporter's identity to the city admin: intake keeps identities and
logs each look; status records in the internal timeline that it happened."""
