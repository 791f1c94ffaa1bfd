"""Notify: where notifications leave Sigap, for reporters, staff and department systems."""
