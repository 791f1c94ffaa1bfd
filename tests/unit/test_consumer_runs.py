"""How a consumer batch is cut into runs that a batch handler can write with one statement."""

from __future__ import annotations

import dataclasses

from sigap_shared.consumer import distinct_complaint_runs
from tests.support.factories import submitted_envelope


def _ids(runs):
    return [[envelope.data.complaint_id for envelope in run] for run in runs]


def test_runs_are_split_where_a_complaint_comes_back():
    first, second, third = submitted_envelope(), submitted_envelope(), submitted_envelope()
    again = dataclasses.replace(first)  # another event of the first complaint
    runs = distinct_complaint_runs([first, second, again, third, second])
    a, b, c = (envelope.data.complaint_id for envelope in (first, second, third))
    assert _ids(runs) == [[a, b], [a, c, b]]


def test_a_batch_of_distinct_complaints_is_one_run_and_nothing_is_none():
    envelopes = [submitted_envelope() for _ in range(5)]
    assert distinct_complaint_runs(envelopes) == [envelopes]
    assert distinct_complaint_runs([]) == []
