"""Routing: decides which city department handles each complaint."""
