"""docs/settings.md cannot drift from the settings classes: its generated table is exactly what
`python -m sigap_shared.settings_doc` builds from every service's settings class, every field of
every class has a row (named with the class's env prefix) and a description, and the scripts'
table names every variable deploy/env.sh reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import Field, SecretStr

from sigap_shared import settings_doc
from sigap_shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "settings.md"


def _generated_part(text: str) -> str:
    return text.split(settings_doc.BEGIN, 1)[1].split(settings_doc.END, 1)[0]


def _documented_variables(text: str) -> dict[str, list[str]]:
    """Each row of a table: its first cell's variables -> the row's cells."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("| `SIGAP_"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for variable in re.findall(r"`(SIGAP_[A-Z0-9_]+)`", cells[0]):
            rows[variable] = cells
    return rows


def test_the_generated_table_is_the_one_in_the_document():
    assert settings_doc.main(["--check", "--doc", str(DOC)]) == 0, (
        "docs/settings.md differs from the settings classes: run `.venv/bin/python -m sigap_shared.settings_doc`"
    )


def test_every_field_of_every_settings_class_has_a_row_with_its_default_and_a_description():
    rows = _documented_variables(_generated_part(DOC.read_text()))
    expected: set[str] = set()
    for service, cls in settings_doc.settings_classes().items():
        prefix = cls.model_config["env_prefix"]
        assert prefix == "SIGAP_"
        for name, field in cls.model_fields.items():
            variable = (prefix + name).upper()
            expected.add(variable)
            assert variable in rows, f"{variable} ({service}) is missing from docs/settings.md"
            _, read_by, default, meaning = rows[variable]
            assert read_by == "all" or service in read_by.split(", ")
            assert settings_doc.render_default(settings_doc._default_value(field)) in default
            assert meaning, f"{variable} has no description: add a docstring under the field"
    assert set(rows) == expected, f"rows for settings no class has: {set(rows) - expected}"


def test_the_status_sla_settings_and_the_web_settings_are_documented():
    rows = _documented_variables(_generated_part(DOC.read_text()))
    for variable in (
        "SIGAP_SLA_VERIFY_DAYS",
        "SIGAP_SLA_FINISH_DAYS",
        "SIGAP_SLA_CATEGORY_DAYS",
        "SIGAP_SLA_EXTRA_DAYS_OFF",
        "SIGAP_SLA_SWEEP_INTERVAL_S",
        "SIGAP_WEB_SESSION_SECRET",
    ):
        assert variable in rows
    assert rows["SIGAP_SLA_VERIFY_DAYS"][2] == "`3`"


def test_a_changed_default_or_a_new_setting_makes_the_check_fail(tmp_path):
    class Changed(ServiceSettings):
        service_name: str = "intake"
        brand_new_setting_s: float = Field(default=2.5, description="a setting nobody documented yet")

    classes = settings_doc.settings_classes() | {"intake": Changed}
    changed = settings_doc.rewrite(DOC.read_text(), settings_doc.rows(classes))
    assert "| `SIGAP_BRAND_NEW_SETTING_S` | intake | `2.5` | a setting nobody documented yet |" in changed
    assert changed != DOC.read_text()
    doc = tmp_path / "settings.md"
    doc.write_text(changed)
    assert settings_doc.main(["--check", "--doc", str(doc)]) == 1
    assert settings_doc.main(["--doc", str(doc)]) == 0
    assert doc.read_text() == DOC.read_text()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unset"),
        ("", "empty"),
        (SecretStr("x"), "development value"),
        (60.0, "`60`"),
        (False, "`false`"),
        (("public", "government"), "`public,government`"),
        ([], "empty"),
        (settings_doc.REPO_ROOT / "services" / "web", "`services/web`"),
    ],
)
def test_defaults_are_shown_the_same_on_every_machine(value, shown):
    assert settings_doc.render_default(value) == shown


def test_the_scripts_table_names_every_variable_of_deploy_env_sh():
    rows = _documented_variables(DOC.read_text().split(settings_doc.END, 1)[1])
    env_sh = (REPO / "deploy" / "env.sh").read_text()
    for variable in re.findall(r'^: "\$\{(SIGAP_[A-Z0-9_]+):=', env_sh, flags=re.MULTILINE):
        if variable == "SIGAP_LOG_TAG":
            continue  # each script's own tag on its messages, not a setting
        if variable.startswith("SIGAP_PG_") and variable not in ("SIGAP_PG_DATABASES", "SIGAP_PG_START_TIMEOUT"):
            continue  # the services' own settings, in the generated table
        assert variable in rows, f"{variable} (deploy/env.sh) is missing from docs/settings.md"
