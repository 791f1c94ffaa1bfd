"""Routing accuracy on the labelled Depok complaints.

    uv run python -m benchmarks.routing.accuracy [--errors] [--split SPLIT] [--min-confidence X]

SPLIT is one split file, `dev` (the development splits the classifier is tuned on),
`heldout` (the splits never used for tuning) or `all` (the default). For each split, and for
the development and held-out groups, prints per expected department: n, correct, triaged,
wrong-confident (routed to a wrong department without triage), accuracy, and the precision of
confident routings to that department; then overall accuracy and the share routed confidently
wrong. Targets: ≥ 90 % correct, ≤ 3 % confidently wrong. Uses the shipped taxonomy and the same
`domain.decide` the service runs. See `data/devset/README.md` for how each split was used."""

from __future__ import annotations

import argparse
import dataclasses
import zlib
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

from sigap_routing.domain import RoutingDecision, decide, default_taxonomy
from sigap_routing.geography import Geography
from sigap_routing.taxonomy import CompiledTaxonomy
from sigap_shared.events import TRIAGE_DESK

DEVELOPMENT = ("tune", "tune_2")
HELD_OUT = ("holdout", "holdout_2")
SPLITS = DEVELOPMENT + HELD_OUT
GROUPS = {"dev": DEVELOPMENT, "heldout": HELD_OUT, "all": SPLITS}
TARGET_CORRECT = 0.90
TARGET_WRONG_CONFIDENT = 0.03


@dataclass(frozen=True)
class Example:
    split: str
    expected: str  # department code, "KEL", "KEC" or "TRIAGE"
    category: str | None
    text: str


@dataclass(frozen=True)
class Outcome:
    example: Example
    expected_department: str
    decision: RoutingDecision

    @property
    def correct(self) -> bool:
        return self.decision.department == self.expected_department

    @property
    def wrong_confident(self) -> bool:
        return not self.decision.needs_triage and not self.correct


def load_examples(split: str) -> list[Example]:
    text = (resources.files("sigap_routing") / "data" / "devset" / f"{split}.txt").read_text(encoding="utf-8")
    examples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, category, complaint = line.split("|", 2)
        examples.append(Example(split, expected, None if category == "-" else category, complaint))
    return examples


def evaluate(examples: list[Example], geography: Geography, taxonomy: CompiledTaxonomy) -> list[Outcome]:
    outcomes = []
    for example in examples:
        kelurahan = geography.kelurahan[zlib.crc32(example.text.encode()) % len(geography.kelurahan)]
        point = geography.polygons[geography.kelurahan.index(kelurahan)].representative_point()
        area = geography.locate(lat=point.y, lon=point.x)
        expected = {
            "KEL": f"KEL-{kelurahan.code}",
            "KEC": f"KEC-{kelurahan.kecamatan.code}",
            "TRIAGE": TRIAGE_DESK,
        }.get(example.expected, example.expected)
        decision = decide(category=example.category, description=example.text, area=area, taxonomy=taxonomy)
        outcomes.append(Outcome(example=example, expected_department=expected, decision=decision))
    return outcomes


def _group(department: str) -> str:
    """The benchmark's label for a department: area offices collapse to KEL / KEC."""
    if department == TRIAGE_DESK:
        return "TRIAGE"
    return department.split("-", 1)[0] if department.startswith(("KEL-", "KEC-")) else department


def _table(title: str, outcomes: list[Outcome]) -> tuple[float, float]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    routed: dict[str, list[Outcome]] = defaultdict(list)  # confident routings, by department routed to
    for outcome in outcomes:
        groups[outcome.example.expected].append(outcome)
        if not outcome.decision.needs_triage:
            routed[_group(outcome.decision.department)].append(outcome)
    print(f"\n{title}")
    print(
        f"  {'department':<12} {'n':>4} {'correct':>8} {'triaged':>8} {'wrong-conf':>10} {'accuracy':>9}"
        f" {'routed':>7} {'precision':>9}"
    )
    for name in sorted(groups.keys() | routed.keys()):
        rows = groups.get(name, [])
        correct = sum(o.correct for o in rows)
        accuracy = f"{correct / len(rows):.1%}" if rows else "-"
        routed_here = routed.get(name, [])
        precision = f"{sum(o.correct for o in routed_here) / len(routed_here):.1%}" if routed_here else "-"
        print(
            f"  {name:<12} {len(rows):>4} {correct:>8} {sum(o.decision.needs_triage for o in rows):>8}"
            f" {sum(o.wrong_confident for o in rows):>10} {accuracy:>9} {len(routed_here):>7} {precision:>9}"
        )
    n = len(outcomes)
    correct = sum(o.correct for o in outcomes) / n
    wrong = sum(o.wrong_confident for o in outcomes) / n
    triaged = sum(o.decision.needs_triage for o in outcomes) / n
    print(
        f"  {'overall':<12} {n:>4} {correct:>8.1%} {triaged:>8.1%} {wrong:>10.1%}"
        f"   target ≥{TARGET_CORRECT:.0%} correct: {'met' if correct >= TARGET_CORRECT else 'NOT met'},"
        f" ≤{TARGET_WRONG_CONFIDENT:.0%} confidently wrong: {'met' if wrong <= TARGET_WRONG_CONFIDENT else 'NOT met'}"
    )
    return correct, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list every complaint not routed correctly")
    parser.add_argument("--split", choices=(*SPLITS, *GROUPS), default="all")
    parser.add_argument("--min-confidence", type=float, help="try another triage threshold than the taxonomy's")
    args = parser.parse_args()

    geography = Geography.depok()
    splits = GROUPS.get(args.split, (args.split,))
    taxonomy = default_taxonomy()
    if args.min_confidence is not None:
        settings = taxonomy.settings.model_copy(update={"min_confidence": args.min_confidence})
        taxonomy = dataclasses.replace(taxonomy, settings=settings)
    outcomes = {split: evaluate(load_examples(split), geography, taxonomy) for split in splits}
    print(
        f"Routing accuracy on labelled Depok complaints (taxonomy '{taxonomy.name}',"
        f" min_confidence {taxonomy.settings.min_confidence:g})"
    )
    for split in splits:
        role = "development: tuned on" if split in DEVELOPMENT else "held out: never used for tuning"
        _table(f"split: {split} ({role})", outcomes[split])
    summary = []
    for name, members in (("development", DEVELOPMENT), ("held-out", HELD_OUT)):
        present = [split for split in members if split in outcomes]
        if len(present) > 1:
            title = f"{name}: {' + '.join(present)}"
            summary.append((title, _table(title, [o for split in present for o in outcomes[split]])))
    if len(splits) > 1:
        print("\nSummary (correct / confidently wrong):")
        for split in splits:
            n = len(outcomes[split])
            correct = sum(o.correct for o in outcomes[split]) / n
            wrong = sum(o.wrong_confident for o in outcomes[split]) / n
            print(f"  {split:<32} n={n:<4} {correct:6.1%} / {wrong:5.1%}")
        for title, (correct, wrong) in summary:
            print(f"  {title:<32}        {correct:6.1%} / {wrong:5.1%}")
    if args.errors:
        print("\nMisses (expected → got):")
        for split in splits:
            for o in outcomes[split]:
                if not o.correct:
                    flag = "WRONG" if o.wrong_confident else "triage"
                    print(
                        f"  [{split}/{flag}] {o.expected_department} → {o.decision.department}"
                        f" ({o.decision.category}, {o.decision.confidence:.2f})"
                        f" cat={o.example.category}: {o.example.text}"
                    )
                    print(f"      {' | '.join(o.decision.reasons)}")


if __name__ == "__main__":
    main()
