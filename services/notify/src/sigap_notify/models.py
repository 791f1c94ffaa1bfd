"""What notify's request bodies and paths share: bodies refuse unknown fields, and the shapes
of a department code and a staff username."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]
# Staff usernames as the status service issues them.
StaffUsername = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
