"""Sigap web: the pages citizens and staff use, served over the four services' HTTP APIs."""
