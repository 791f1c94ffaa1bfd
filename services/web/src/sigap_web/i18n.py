"""Every word a citizen or staff member reads, from one catalogue per language, kept in parts
(`locales/<lang>/<part>.json`, flat keys such as "report.title"; a feature may bring its own
part, and a key defined in two parts is an error). Bahasa Indonesia is the default;
English is one switch away (`?lang=en`, remembered in a cookie). A unit test keeps the two
catalogues' keys and placeholders identical, so no page can fall back to a missing string."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from sigap_shared.problems import Problem, Text

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")
DEFAULT_LANGUAGE: Language = "id"
LANG_COOKIE = "sigap_lang"


def catalogue_parts(lang: Language) -> list[str]:
    folder = resources.files("sigap_web") / "locales" / lang
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))


def load_catalogue(lang: Language) -> dict[str, str]:
    catalogue: dict[str, str] = {}
    for part in catalogue_parts(lang):
        text = (resources.files("sigap_web") / "locales" / lang / part).read_text(encoding="utf-8")
        entries = json.loads(text)
        if not all(isinstance(value, str) for value in entries.values()):
            raise ValueError(f"locales/{lang}/{part}: every value must be a string")
        if twice := catalogue.keys() & entries.keys():
            raise ValueError(f"locales/{lang}/{part}: keys already defined in another part: {sorted(twice)}")
        catalogue.update(entries)
    return catalogue


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Translator:
    lang: Language
    catalogue: dict[str, str]

    def __call__(self, key: str, **params: object) -> str:
        template = self.catalogue[key]  # a missing key is a bug the catalogue test catches
        return template.format(**params) if params else template

    def prefixed(self, *prefixes: str) -> dict[str, str]:
        """The strings a page's script needs (e.g. "js."), handed over as JSON."""
        return {key: value for key, value in self.catalogue.items() if key.startswith(prefixes)}


class Catalogues:
    """Both languages, loaded once per process."""

    def __init__(self) -> None:
        self._translators = {lang: Translator(lang, load_catalogue(lang)) for lang in LANGUAGES}

    def __getitem__(self, lang: Language) -> Translator:
        return self._translators[lang]

    def problem(self, *, status: int, slug: str) -> Problem:
        """A refusal of the web service's own, worded in both languages by the catalogue
        entries `problem.<slug>.title` and `problem.<slug>.detail` (locales/*/problems.json)."""
        ids, ens = self["id"], self["en"]
        key = f"problem.{slug}"
        return Problem(
            status=status,
            slug=slug,
            title=Text(ids(f"{key}.title"), ens(f"{key}.title")),
            detail=Text(ids(f"{key}.detail"), ens(f"{key}.detail")),
        )


def chosen_language(*, query: str | None, cookie: str | None) -> tuple[Language, bool]:
    """The page's language and whether the cookie must remember a new choice: `?lang=` wins,
    then the cookie, then Indonesian."""
    if query in LANGUAGES:
        return query, query != cookie  # type: ignore[return-value]
    if cookie in LANGUAGES:
        return cookie, False  # type: ignore[return-value]
    return DEFAULT_LANGUAGE, False
