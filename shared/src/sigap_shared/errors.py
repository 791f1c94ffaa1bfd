"""Bilingual text and the base of every domain error. Nothing here knows HTTP: a domain
refuses with a `DomainError` (a `code` naming the rule, a `Text` saying why), and each
service's API maps error codes to problem responses in one table."""

from __future__ import annotations


class Text:
    """A message in Indonesian (`id`) and English (`en`)."""

    __slots__ = ("id", "en")

    def __init__(self, id: str, en: str) -> None:  # noqa: A002 - "id" is the language code
        self.id = id
        self.en = en

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.id

    def __repr__(self) -> str:
        return f"Text(id={self.id!r}, en={self.en!r})"


class DomainError(Exception):
    """A rule refused something: `code` names the rule (the problem slug its API answers
    with), `message` says why and what to do, in both languages."""

    def __init__(self, code: str, message: Text) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message
