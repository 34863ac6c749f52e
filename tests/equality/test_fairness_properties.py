"""Property tests of the fairness report: for random applications, nothing the page shows is
false, and no small count can be worked out from what it shows."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from lep.equality.fairness import STAGE_KEYS, bounds, question_fairness
from lep.equality.reporting import HIDDEN, THRESHOLD, answer_labels

QUESTION = "carer"  # four groups: yes, no, prefer not to say, not answered
GROUPS = list(answer_labels(QUESTION))

# What the records of one batch of applications show: a group, the stages on record (an offer
# may have no interview on record), and how many.
recorded = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
batch = st.tuples(st.sampled_from(GROUPS), recorded, st.integers(min_value=1, max_value=12))


def truth(rows):  # type: ignore[no-untyped-def]
    """The real count of each (group, stage), every later stage counting as passing through."""
    counts = {(g, s): 0 for g in GROUPS for s in STAGE_KEYS}
    for group, marks, n in rows:
        for i, stage in enumerate(STAGE_KEYS):
            if any(marks[i:]):
                counts[(group, stage)] += n
    return counts


@settings(max_examples=200, deadline=None)
@given(st.lists(batch, max_size=12))
def test_no_cell_shown_contradicts_the_totals(batches):  # type: ignore[no-untyped-def]
    rows = [(g, (1, *(int(m) for m in marks)), n) for g, marks, n in batches]
    report = question_fairness(QUESTION, rows)
    real = truth(rows)
    table = {
        (row.key, s): cell
        for row in report.rows
        for s, cell in zip(STAGE_KEYS, row.cells, strict=True)
    }
    totals = {stage.key: stage.total for stage in report.stages}

    for i, stage in enumerate(STAGE_KEYS):
        # Each stage's total is the real number, and holds only those at the stage before.
        assert totals[stage] == sum(real[(g, stage)] for g in GROUPS)
        if i:
            assert totals[stage] <= totals[STAGE_KEYS[i - 1]]
        column = [table[(g, stage)] for g in GROUPS]
        shown = [c.count for c in column if c.count is not None]
        # Where nothing is hidden the column adds up to its total; where something is, the
        # shown counts leave room for it.
        if len(shown) == len(column):
            assert sum(shown) == totals[stage]
        else:
            assert sum(shown) <= totals[stage]

    for (g, s), cell in table.items():
        if cell.count is None:
            assert cell.text == HIDDEN  # never "fewer than 5": it may be a large count
        else:
            assert cell.count == real[(g, s)] and cell.text == f"{cell.count:,}"
            assert not 0 < cell.count < THRESHOLD  # small counts are never shown
    for g in GROUPS:
        # Along a row, shown counts never rise: nobody reaches a stage without the one before.
        shown = [table[(g, s)].count for s in STAGE_KEYS if table[(g, s)].count is not None]
        assert shown == sorted(shown, reverse=True)
        for i, stage in enumerate(STAGE_KEYS[1:], start=1):
            cell, before = table[(g, stage)], table[(g, STAGE_KEYS[i - 1])]
            if cell.rate is not None:
                # A rate only from two shown counts of 5 or more, and the one they give.
                assert cell.count is not None and before.count is not None
                assert cell.count >= THRESHOLD and before.count >= THRESHOLD
                assert cell.rate == Fraction(cell.count, before.count)

    # No small count can be worked out from the page: from the totals and the shown counts,
    # each hidden one could be more than one number.
    hidden = {cell for cell, shown in table.items() if shown.count is None}
    columns = [[(g, s) for g in GROUPS] for s in STAGE_KEYS]
    chains = [[(g, s) for s in STAGE_KEYS] for g in GROUPS]
    for cell, (low, high) in bounds(real, hidden, columns, chains).items():
        assert low <= real[cell] <= high
        if 0 < real[cell] < THRESHOLD:
            assert low < high, (cell, real[cell])

    # A flag without a rate never says fewer went on than really did.
    for flag in report.flags:
        if flag.rate is None:
            group = next(g for g in GROUPS if answer_labels(QUESTION)[g] == flag.group)
            stage = next(s for s in STAGE_KEYS if s.capitalize() == flag.stage)
            assert real[(group, stage)] <= flag.most or flag.none_went_on


def test_a_reader_cannot_work_out_a_lone_small_count_from_its_row():
    # Age-like data from the demo: one group dominates, and four offers were made without an
    # interview on record. The small counts at interview, offer and appointment all sit in one
    # row; another row is hidden with them, or the totals would give them away.
    rows = [
        ("not_answered", (1, 0, 0, 0, 0), 39),
        ("not_answered", (1, 1, 0, 0, 0), 1),
        ("not_answered", (1, 1, 0, 1, 1), 4),
        ("yes", (1, 0, 0, 0, 0), 2),
        ("yes", (1, 1, 0, 0, 0), 2),
        ("no", (1, 1, 0, 0, 0), 1),
    ]
    report = question_fairness(QUESTION, rows)
    assert [(s.label, s.total, s.skipped) for s in report.stages] == [
        ("Applied", 49, 0),
        ("Shortlisted", 8, 0),
        ("Interviewed", 4, 4),  # counted, and the page says why
        ("Offered", 4, 0),
        ("Appointed", 4, 0),
    ]
    texts = {row.key: [c.text for c in row.cells] for row in report.rows}
    assert texts["not_answered"] == ["44", "5", HIDDEN, HIDDEN, HIDDEN]
    assert texts["yes"] == [HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN]
    assert "fewer than 5" not in str(texts)
