"""What notify's routes need besides a connection, built once per process in the lifespan
(`bootstrap.create_app`) from the settings and handed to routes as `Context`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import aiohttp
from fastapi import Depends, Request

from sigap_notify.channels.contacts import ContactResolver
from sigap_notify.dashboard.fanout import PostgresFanOut
from sigap_notify.dashboard.hub import DashboardHub
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.egress import Egress
from sigap_notify.intake_client import IntakeClient
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_shared.staff_directory import StaffDirectory


@dataclass(frozen=True)
class NotifyContext:
    settings: NotifySettings
    box: SecretBox  # seals webhook secrets and subscribed addresses
    http: aiohttp.ClientSession  # addresses the city configured: intake, SMS and WhatsApp gateways
    egress: Egress  # addresses departments and reporters chose: public ones only
    hub: DashboardHub  # this replica's open streams
    fanout: PostgresFanOut  # carries each stream message to every replica's hub
    intake: IntakeClient
    resolver: ContactResolver
    dispatcher: Dispatcher
    staff_directory: StaffDirectory

    async def close(self) -> None:
        await self.dispatcher.close()
        await self.http.close()
        await self.egress.close()


def get_context(request: Request) -> NotifyContext:
    return request.app.state.context


Context = Annotated[NotifyContext, Depends(get_context)]
