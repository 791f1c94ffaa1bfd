"""Duplicate candidates: earlier open complaints of the same category nearby, for the admins
who merge a complaint into the original by rejecting it as a duplicate."""
