"""Importing pay tables: all or nothing, with the row that is wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.roles.models import PayPoint
from lep.roles.paytables import REFERENCE_TABLE, PayTableError, import_pay_table

HEADER = "band,pay_point,years_from,annual_salary_gbp,effective_from\n"


def count_points() -> int:
    return db.session.scalar(select(func.count()).select_from(PayPoint)) or 0


def test_reference_table_loads_once_and_is_audited():
    result = import_pay_table(REFERENCE_TABLE.read_text())
    assert (result.added, result.unchanged) == (29, 0)
    again = import_pay_table(REFERENCE_TABLE.read_text())
    assert (again.added, again.unchanged) == (0, 29)
    assert count_points() == 29
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pay_table.imported")
    ).all()
    assert len(events) == 1
    assert events[0].after["added"] == 29
    band7 = db.session.scalars(
        select(PayPoint).where(PayPoint.band == "7").order_by(PayPoint.point)
    ).all()
    assert [p.annual_pence for p in band7] == [4_781_000, 5_027_300, 5_471_000]
    assert [p.years_from for p in band7] == [0, 2, 5]


@pytest.mark.parametrize(
    ("rows", "row", "message"),
    [
        ("7,1,0,47810,2025-04-01\n10,1,0,50000,2025-04-01\n", 3, "unknown band '10'"),
        ("7,1,0,47810,2025-04-01\n7,2,2,fifty,2025-04-01\n", 3, "salary 'fifty' is not a number"),
        (
            "7,1,0,47810,2025-04-01\n7,1,0,47810,2025-04-01\n",
            3,
            "Band 7 pay point 1 from 2025-04-01 appears twice",
        ),
        ("7,1,0,47810,01/04/2025\n", 2, "is not a date like 2025-04-01"),
        ("7,one,0,47810,2025-04-01\n", 2, "must be whole numbers"),
        ("7,1,0,0,2025-04-01\n", 2, "salary must be more than 0"),
        ("7,1,0,47810.123,2025-04-01\n", 2, "is not a number of pounds"),
        ('7,1,0,"47810,50",2025-04-01\n', 2, "could mean £47,810.50 or £4,781,050.00"),
        ("7,1,0,47810,2025-04-01,extra\n", 2, "more columns than the header"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(rows, row, message):
    with pytest.raises(PayTableError) as caught:
        import_pay_table(HEADER + "6,1,0,38682,2025-04-01\n" + rows)
    assert caught.value.row == row + 1  # the good band 6 row comes first
    assert message in caught.value.message
    assert count_points() == 0


def test_wrong_header_and_empty_file():
    with pytest.raises(PayTableError, match="Row 1: The header must be"):
        import_pay_table("grade,point,salary\n7,1,47810\n")
    with pytest.raises(PayTableError, match="no pay points"):
        import_pay_table(HEADER)


def test_a_loaded_salary_is_never_silently_changed():
    import_pay_table(REFERENCE_TABLE.read_text())
    with pytest.raises(PayTableError, match="already loaded with a different salary"):
        import_pay_table(HEADER + "7,1,0,99999,2025-04-01\n")
    assert (
        db.session.scalar(
            select(PayPoint.annual_pence).where(PayPoint.band == "7", PayPoint.point == 1)
        )
        == 4_781_000
    )


def test_cli_imports_and_refuses_with_the_row_number(app, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["lep", "import-pay-table", str(REFERENCE_TABLE)])
    assert good.exit_code == 0, good.output
    assert "Pay table effective 2025-04-01: 29 pay points added, 0 already loaded." in good.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "8e,1,0,90000,2026-04-01\n")
    refused = runner.invoke(args=["lep", "import-pay-table", str(bad)])
    assert refused.exit_code == 1
    assert "Row 2: unknown band '8e'" in refused.output
    assert "Nothing was loaded." in refused.output
    assert count_points() == 29
    binary = tmp_path / "table.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00garbage")
    refused = runner.invoke(args=["lep", "import-pay-table", str(binary)])
    assert refused.exit_code == 1
    assert "not UTF-8 text" in refused.output
