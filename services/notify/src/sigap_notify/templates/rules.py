"""Filling a message template, and what makes a template text unusable. Pure."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sigap_notify.personal_data.rules import ERASED_TEXT, FREE_TEXT_KEYS


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    body: str


def render(*, subject: str, body: str, params: Mapping[str, Any], language: str = "id") -> RenderedMessage:
    """Fill a template. `string.Template` (not `str.format`) because templates are edited by
    the city: `$name` can only substitute a value, never reach into an object's attributes.
    Unknown placeholders are left as written; a missing value reads as "-"; an empty free text
    (a message, reason or note the reporter's erasure blanked) says so in the template's
    `language` instead of leaving an empty quote."""
    values = {name: _value(name, value, language) for name, value in params.items()}
    return RenderedMessage(
        subject=string.Template(subject).safe_substitute(values),
        body=string.Template(body).safe_substitute(values),
    )


def _value(name: str, value: Any, language: str) -> str:
    if value is None:
        return "-"
    if value == "" and name in FREE_TEXT_KEYS:
        return ERASED_TEXT.pick(language)
    return str(value)


def template_problems(text: str) -> list[str]:
    """Why a template text cannot be used (empty list when it can)."""
    try:
        string.Template(text).substitute({name: "" for name in placeholders(text)})
    except (ValueError, KeyError) as exc:
        return [str(exc)]
    return []


def placeholders(text: str) -> set[str]:
    """The names a template text fills (`$name`, `${name}`)."""
    names: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names
