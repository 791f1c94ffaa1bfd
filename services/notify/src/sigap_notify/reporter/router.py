"""`POST /v1/subscriptions` (a reporter subscribes a channel to their complaint) and the VAPID
public key the citizen page needs to subscribe web push."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from sigap_notify.context import Context
from sigap_notify.errors import NotifyError
from sigap_notify.models import StrictBody
from sigap_notify.recipients import mask_address
from sigap_notify.reporter import commands
from sigap_notify.targets import check_target
from sigap_shared.errors import Text
from sigap_shared.problems import invalid_input
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["notifications"])


class PushKeysIn(StrictBody):
    p256dh: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{80,100}={0,2}$")]
    auth: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,32}={0,2}$")]


class PushSubscriptionIn(BaseModel):
    """The browser's `PushSubscription.toJSON()`."""

    model_config = ConfigDict(extra="ignore")

    endpoint: Annotated[str, StringConstraints(pattern=r"^https://[^\s/@]+/\S*$", max_length=2000)]
    keys: PushKeysIn


class SubscriptionIn(StrictBody):
    tracking_code: Annotated[str, StringConstraints(min_length=4, max_length=40)]
    follow_up_token: Annotated[str, StringConstraints(min_length=8, max_length=200)]
    channel: Literal["email", "push"]
    address: EmailStr | None = Field(None, description="For channel email.")
    push_subscription: PushSubscriptionIn | None = Field(None, description="For channel push.")
    language: Literal["id", "en"] = "id"

    def channel_address(self) -> str:
        """The address of the chosen channel (a push subscription's JSON for push)."""
        if self.channel == "email" and self.address is not None:
            return str(self.address)
        if self.channel == "push" and self.push_subscription is not None:
            return self.push_subscription.model_dump_json()
        field = "address" if self.channel == "email" else "push_subscription"
        raise invalid_input(
            field=field,
            location="body",
            message=Text("wajib diisi", "is required"),
            code="missing",
            detail=Text(
                f"Kolom {field} wajib diisi untuk kanal {self.channel}.", f"{field} is required for {self.channel}."
            ),
        )


class SubscriptionOut(BaseModel):
    id: UUID
    tracking_code: str
    channel: str
    address: str = Field(description="Masked.")


@router.post(
    "/subscriptions",
    status_code=201,
    summary="A reporter subscribes a channel to a complaint with its tracking code and follow-up token",
)
async def subscribe(body: SubscriptionIn, context: Context, conn: Conn) -> SubscriptionOut:
    address = body.channel_address()
    if body.push_subscription is not None:
        await check_target(context.egress, body.push_subscription.endpoint, field="push_subscription.endpoint")
    subscribed = await commands.subscribe_reporter(
        conn=conn,
        intake=context.intake,
        box=context.box,
        tracking_code=body.tracking_code,
        follow_up_token=body.follow_up_token,
        channel=body.channel,
        address=address,
        language=body.language,
    )
    shown = body.push_subscription.endpoint if body.push_subscription else address
    return SubscriptionOut(
        id=subscribed.subscription_id,
        tracking_code=subscribed.tracking_code,
        channel=body.channel,
        address=mask_address(shown),
    )


@router.get("/push/public-key", summary="VAPID public key (applicationServerKey) for the citizen web page")
async def push_public_key(context: Context) -> dict[str, str]:
    key = getattr(context.dispatcher.channel("push"), "public_key", None)
    if key is None:
        raise NotifyError(
            "push-not-configured",
            Text(
                id="Kota belum mengatur kunci VAPID; gunakan email untuk menerima kabar laporan.",
                en="The city has not configured a VAPID key; use email to hear about your report.",
            ),
        )
    return {"public_key": key}
