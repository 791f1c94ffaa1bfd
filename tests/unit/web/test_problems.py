"""The web service's own refusals come from the catalogues in both languages: a slug the
code raises has a title and a detail in Indonesian and English."""

from __future__ import annotations

import pytest

from sigap_web.i18n import Catalogues, load_catalogue

RAISED = [(403, "cross-site-request"), (403, "csrf-token-invalid"), (403, "forbidden"), (401, "login-required")]


@pytest.mark.parametrize(("status", "slug"), RAISED)
def test_a_refusal_is_worded_in_both_languages(status: int, slug: str) -> None:
    problem = Catalogues().problem(status=status, slug=slug)
    indonesian, english = load_catalogue("id"), load_catalogue("en")
    assert (problem.status, problem.slug) == (status, slug)
    assert problem.title.id == indonesian[f"problem.{slug}.title"] != problem.title.en == english[f"problem.{slug}.title"]
    assert problem.detail is not None
    assert problem.detail.id == indonesian[f"problem.{slug}.detail"] != problem.detail.en == english[f"problem.{slug}.detail"]


def test_an_unknown_refusal_is_a_bug_not_an_empty_answer() -> None:
    with pytest.raises(KeyError):
        Catalogues().problem(status=403, slug="no-such-refusal")
