"""Composition root of the intake service."""

from sigap_intake.api import router
from sigap_intake.settings import IntakeSettings
from sigap_shared.runtime import ServiceSpec, serve

SPEC = ServiceSpec(
    package="sigap_intake",
    title="Sigap Intake",
    description="Where complaints enter Sigap: the API for the mobile apps and the citizen page.",
    routers=[router],
)


def main() -> None:
    serve(IntakeSettings, SPEC)
