"""The department queue for staff: filters, sort orders and keyset cursors (one index walk per
page), and the same filtered queue as CSV."""
