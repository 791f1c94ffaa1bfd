"""The field officers of a department, for the admins who assign complaints to them."""
