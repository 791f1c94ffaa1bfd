"""Trying a message template before saving it: rendered with example values, with the
placeholder mistakes that would show in a real message named."""
