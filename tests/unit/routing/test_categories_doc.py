"""docs/categories.md lists exactly the categories of routing's default taxonomy (the one each
routing database starts from), with their names and where each goes, so it cannot drift. When
it fails, the message holds the table to paste."""

from __future__ import annotations

from sigap_routing.taxonomy import load_default_document
from tests.support.doc_blocks import REPO

DOC = REPO / "docs" / "categories.md"
BEGIN = "<!-- categories: checked against services/routing/src/sigap_routing/data/taxonomy.yaml -->"
END = "<!-- end of the categories -->"


def expected_table() -> str:
    taxonomy = load_default_document()
    departments = {department.code: department.name for department in taxonomy.departments}
    lines = ["| code | name | goes to |", "|---|---|---|"]
    for category in taxonomy.categories:
        if category.scope == "department":
            target = f"{category.department} ({departments[category.department]})"
        else:
            target = f"the {category.scope} office of the complaint's location"
        lines.append(f"| `{category.code}` | {category.name} | {target} |")
    return "\n".join(lines)


def test_the_documented_categories_are_the_default_taxonomys():
    text = DOC.read_text(encoding="utf-8")
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = expected_table()
    assert documented == expected, f"docs/categories.md differs from taxonomy.yaml; its table should be:\n{expected}"
