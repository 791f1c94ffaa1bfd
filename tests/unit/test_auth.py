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
