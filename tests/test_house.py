"""The house rules the code itself can hold: only lep/service.py commits the session."""

from __future__ import annotations

import ast
from pathlib import Path

LEP = Path(__file__).resolve().parent.parent / "lep"


def _modules() -> list[Path]:
    return [p for p in LEP.rglob("*.py") if "static" not in p.parts]


def commits_in(source: str) -> list[int]:
    """Lines that call `.commit()` on something (a session, db.session, a connection)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_the_check_finds_a_direct_commit() -> None:
    assert commits_in("db.session.commit()\nsession = db.session()\nsession.commit()\n") == [1, 3]
    assert commits_in("from lep.service import commit\ncommit()\n") == []


def test_only_the_service_contract_commits_the_session() -> None:
    found = {
        str(path.relative_to(LEP.parent)): lines
        for path in _modules()
        if path != LEP / "service.py" and (lines := commits_in(path.read_text()))
    }
    assert found == {}, f"use lep.service.commit() instead: {found}"
