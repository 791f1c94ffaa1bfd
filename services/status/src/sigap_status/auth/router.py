"""`POST /v1/auth/login`, `POST /v1/auth/refresh` and `GET /v1/auth/me`: staff sessions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.runtime import Conn
from sigap_status.auth import commands
from sigap_status.auth.dependencies import Staff
from sigap_status.context import Context

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=256)


class SessionOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    username: str
    role: str
    department: str | None


class MeOut(BaseModel):
    username: str
    role: str
    department: str | None


def _session_out(session: commands.Session) -> SessionOut:
    return SessionOut(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
        username=session.principal.username,
        role=session.principal.role,
        department=session.principal.department,
    )


@router.post(
    "/login",
    summary="Staff login (repeated failures per username or client address are throttled: 429)",
)
async def login(body: LoginIn, request: Request, conn: Conn, context: Context) -> SessionOut:
    session = await commands.login(
        conn=conn,
        username=body.username,
        password=body.password,
        client_ip=request.client.host if request.client else None,
        limits=context.login_limits,
        **asdict(context.tokens),
    )
    return _session_out(session)


@router.post("/refresh", summary="Rotate a refresh token")
async def refresh(body: RefreshIn, conn: Conn, context: Context) -> SessionOut:
    return _session_out(await commands.refresh(conn=conn, refresh_token=body.refresh_token, **asdict(context.tokens)))


@router.get("/me", summary="Who the access token belongs to")
async def me(staff: Staff) -> MeOut:
    return MeOut(username=staff.username, role=staff.role, department=staff.department)
