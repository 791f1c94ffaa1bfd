"""The city's map of responsibility as data: departments (including one area office per
kecamatan and kelurahan), categories, which department owns each category, the words that
point to a category, and the routing thresholds. Stored in routing's database as versioned
JSON documents; Kota Depok's default ships as `data/taxonomy.yaml`.

`TaxonomyDocument` is what the admin API reads and replaces; `validate_against` checks it
against the city's geography; `compile_taxonomy` turns it into the look-up tables the
classifier uses (keywords normalised and stemmed exactly like complaint text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sigap_routing.geography import Geography
from sigap_routing.text import is_dictionary_word, one_deletion_variants, stems

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
DEPARTMENT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$|^KE[CL]-32\.76\.\d{2}(\.\d{4})?$")
Scope = Literal["department", "kelurahan", "kecamatan"]
# Typo correction only for words this long: shorter ones are one edit from too many others.
MIN_TYPO_LENGTH = 7
TYPO_MEMO_SIZE = 50_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutingSettingsDoc(_Strict):
    min_confidence: float = Field(0.6, ge=0, le=1, description="Below this, the complaint goes to triage.")
    citizen_category_weight: float = Field(
        6.0, ge=0, le=100, description="Score the citizen's own category starts with, before the text."
    )
    saturation: float = Field(3.0, gt=0, le=100, description="Score at which confidence reaches ~63% of its cap.")
    conflict_ratio: float = Field(
        0.75, gt=0, le=1, description="Another owner scoring at least this share of the best is a conflict: triage."
    )
    override_ratio: float = Field(
        1.5, ge=1, le=100, description="The text overrides the citizen's category only with this many times its score."
    )


class DepartmentDoc(_Strict):
    code: str
    name: str = Field(min_length=1, max_length=200)
    area: str | None = Field(None, description="Kemendagri code of the kecamatan/kelurahan an area office serves.")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not DEPARTMENT_CODE.match(value):
            raise ValueError(f"kode dinas {value!r} tidak valid (contoh: DPUPR, KEC-32.76.06, KEL-32.76.06.1001)")
        return value


class CategoryDoc(_Strict):
    code: str
    name: str = Field(min_length=1, max_length=200)
    scope: Scope = "department"
    department: str | None = None
    keywords: dict[str, float] = Field(default_factory=dict)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError(f"kode kategori {value!r} tidak valid (huruf kecil, angka, garis bawah)")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: dict[str, float]) -> dict[str, float]:
        for phrase, weight in value.items():
            if not stems(phrase):
                raise ValueError(f"kata kunci {phrase!r} kosong setelah normalisasi")
            if not 0 < weight <= 20:
                raise ValueError(f"bobot kata kunci {phrase!r} harus > 0 dan ≤ 20")
        return value

    @model_validator(mode="after")
    def _owner(self) -> CategoryDoc:
        if self.scope == "department" and not self.department:
            raise ValueError(f"kategori {self.code!r} perlu 'department'")
        if self.scope != "department" and self.department:
            raise ValueError(
                f"kategori wilayah {self.code!r} tidak boleh punya 'department' (dinas dipilih dari lokasi)"
            )
        return self


class TaxonomyDocument(_Strict):
    name: str = Field(min_length=1, max_length=200)
    settings: RoutingSettingsDoc = RoutingSettingsDoc()
    departments: list[DepartmentDoc] = Field(min_length=1, max_length=2000)
    categories: list[CategoryDoc] = Field(min_length=1, max_length=2000)
    neutral_phrases: list[str] = Field(
        default_factory=list,
        max_length=2000,
        description='Phrases that name places, not problems ("Kampung Sawah", "Cisalak Pasar"): '
        "they hide the keywords inside them.",
    )

    @model_validator(mode="after")
    def _references(self) -> TaxonomyDocument:
        departments = [d.code for d in self.departments]
        duplicates = sorted({code for code in departments if departments.count(code) > 1})
        if duplicates:
            raise ValueError(f"kode dinas ganda: {', '.join(duplicates)}")
        categories = [c.code for c in self.categories]
        duplicates = sorted({code for code in categories if categories.count(code) > 1})
        if duplicates:
            raise ValueError(f"kode kategori ganda: {', '.join(duplicates)}")
        unknown = sorted({c.department for c in self.categories if c.department and c.department not in departments})
        if unknown:
            raise ValueError(f"kategori merujuk dinas yang tidak ada: {', '.join(unknown)}")
        return self


class TaxonomyError(ValueError):
    """A taxonomy that does not fit the city (e.g. an area office missing)."""


def validate_against(document: TaxonomyDocument, geography: Geography) -> None:
    """Area-level categories route to area offices, so every kecamatan and kelurahan needs one."""
    codes = {d.code for d in document.departments}
    missing = [f"KEC-{k.code}" for k in geography.kecamatan if f"KEC-{k.code}" not in codes]
    missing += [f"KEL-{k.code}" for k in geography.kelurahan if f"KEL-{k.code}" not in codes]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise TaxonomyError(f"kantor wilayah tidak ada untuk: {shown}")


def load_default_document() -> TaxonomyDocument:
    """Kota Depok's default taxonomy, shipped with the service."""
    text = (resources.files("sigap_routing") / "data" / "taxonomy.yaml").read_text(encoding="utf-8")
    return TaxonomyDocument.model_validate(yaml.safe_load(text))


@dataclass(frozen=True, slots=True)
class Keyword:
    phrase: str  # as written in the taxonomy
    stems: tuple[str, ...]
    category: str  # "" for a neutral phrase
    weight: float


@dataclass(frozen=True, slots=True)
class CompiledTaxonomy:
    """Look-up tables built once per taxonomy version."""

    version: int
    name: str
    settings: RoutingSettingsDoc
    departments: dict[str, DepartmentDoc]
    categories: dict[str, CategoryDoc]
    by_first_stem: dict[str, tuple[Keyword, ...]]
    vocabulary: frozenset[str] = frozenset()  # every word of every keyword, stemmed
    typo_index: dict[str, str] = field(default_factory=dict)  # one-deletion variant → keyword word ("" if several)
    # Answers of `correct_typo` so far (bounded by TYPO_MEMO_SIZE): complaint words repeat.
    typo_memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def correct_typo(self, word: str) -> str:
        """The keyword word `word` misspells by one edit ("puskesms" → "puskesmas"), or `word`
        itself: short words, dictionary words and words one edit from two keyword words stay."""
        corrected = self.typo_memo.get(word)
        if corrected is None:
            if len(self.typo_memo) >= TYPO_MEMO_SIZE:
                self.typo_memo.clear()
            corrected = self.typo_memo[word] = self._correct_typo(word)
        return corrected

    def _correct_typo(self, word: str) -> str:
        if len(word) < MIN_TYPO_LENGTH or word in self.vocabulary or is_dictionary_word(word):
            return word
        found = {self.typo_index[variant] for variant in one_deletion_variants(word) if variant in self.typo_index}
        return found.pop() if len(found) == 1 and "" not in found else word


def compile_taxonomy(document: TaxonomyDocument, *, version: int) -> CompiledTaxonomy:
    # Two spellings with one stem ("telantar", "terlantar") are one keyword: the heavier.
    unique: dict[tuple[str, tuple[str, ...]], Keyword] = {}
    for category in document.categories:
        for phrase, weight in category.keywords.items():
            key = (category.code, tuple(stems(phrase)))
            if key not in unique or unique[key].weight < weight:
                unique[key] = Keyword(phrase=phrase, stems=key[1], category=category.code, weight=weight)
    for phrase in document.neutral_phrases:
        phrase_stems = tuple(stems(phrase))
        if phrase_stems:
            unique[("", phrase_stems)] = Keyword(phrase=phrase, stems=phrase_stems, category="", weight=0.0)
    index: dict[str, list[Keyword]] = {}
    for keyword in unique.values():
        index.setdefault(keyword.stems[0], []).append(keyword)
    vocabulary = frozenset(word for keyword in unique.values() for word in keyword.stems)
    typo_index: dict[str, str] = {}
    for word in vocabulary:
        if len(word) >= MIN_TYPO_LENGTH:
            for variant in one_deletion_variants(word):
                typo_index[variant] = word if typo_index.get(variant, word) == word else ""
    return CompiledTaxonomy(
        version=version,
        name=document.name,
        settings=document.settings,
        departments={d.code: d for d in document.departments},
        categories={c.code: c for c in document.categories},
        # Longest phrases first, so "lampu lalu lintas" is tried before "lampu".
        by_first_stem={
            first: tuple(sorted(keywords, key=lambda k: -len(k.stems))) for first, keywords in index.items()
        },
        vocabulary=vocabulary,
        typo_index=typo_index,
    )
