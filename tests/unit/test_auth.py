"""Staff access tokens shared by every service."""

from __future__ import annotations

import pytest

from sigap_shared.auth import AuthError, StaffPrincipal, decode_access_token, issue_access_token

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def test_token_round_trip_keeps_role_and_department():
    principal = StaffPrincipal(username="admin.dpupr", role="dept_admin", department="DPUPR")
    assert decode_access_token(issue_access_token(principal, secret=SECRET), secret=SECRET) == principal


def test_forged_expired_and_malformed_tokens_are_refused():
    principal = StaffPrincipal(username="auditor", role="auditor")
    with pytest.raises(AuthError, match="Signature"):
        decode_access_token(issue_access_token(principal, secret=SECRET), secret=SECRET + "x")
    with pytest.raises(AuthError, match="expired"):
        decode_access_token(issue_access_token(principal, secret=SECRET, ttl_s=10, now=1_000), secret=SECRET)
    with pytest.raises(AuthError):
        decode_access_token("not-a-jwt", secret=SECRET)


def test_department_roles_need_a_department():
    token = issue_access_token(StaffPrincipal(username="x", role="field_officer", department=None), secret=SECRET)
    with pytest.raises(AuthError, match="department"):
        decode_access_token(token, secret=SECRET)


@pytest.mark.parametrize("settings_class", ["routing", "notify"])
def test_production_routing_and_notify_check_staff_accounts_at_status(settings_class):
    from pydantic import ValidationError

    from sigap_notify.settings import NotifySettings
    from sigap_routing.settings import RoutingSettings
    from sigap_shared.settings import DEVELOPMENT_INTERNAL_TOKEN
    from sigap_shared.staff_directory import SignatureOnly, StatusStaffDirectory, staff_directory_for

    cls = {"routing": RoutingSettings, "notify": NotifySettings}[settings_class]
    extra = {"webhook_secret_key": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="} if settings_class == "notify" else {}
    production = {"environment": "production", "pg_password": "p" * 20, "jwt_secret": "j" * 48, **extra}
    with pytest.raises(ValidationError, match="SIGAP_STATUS_INTERNAL_URL"):
        cls(**production, internal_token="t" * 32)
    with pytest.raises(ValidationError, match="SIGAP_INTERNAL_TOKEN"):
        cls(**production, status_internal_url="http://status:8002", internal_token=DEVELOPMENT_INTERNAL_TOKEN)
    settings = cls(**production, status_internal_url="http://status:8002", internal_token="t" * 32)
    assert isinstance(staff_directory_for(settings), StatusStaffDirectory)
    # Development without the URL checks signatures only.
    assert isinstance(staff_directory_for(cls(environment="development")), SignatureOnly)
