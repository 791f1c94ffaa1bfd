"""The complaint categories of the active taxonomy, for pages that let staff filter by them."""
