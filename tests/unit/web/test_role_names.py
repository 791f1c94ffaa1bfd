"""Every staff role has a name on the pages, in both languages: the accounts page lists every
account, and an account of a role without one broke it (a `dpo` made the page answer 500)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sigap_web
from sigap_shared.auth import ROLES
from sigap_web.admin.accounts import ROLES as ROLES_OFFERED

LOCALES = Path(sigap_web.__file__).parent / "locales"


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_role_has_a_name(language):
    names = json.loads((LOCALES / language / "base.json").read_text())
    assert {role for role in ROLES if not names.get(f"staff.role.{role}")} == set()


def test_the_accounts_page_offers_every_role():
    assert set(ROLES_OFFERED) == set(ROLES)
