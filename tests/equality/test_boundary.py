"""Equality answers are kept apart: only a few named modules may import lep.equality.

Shortlisting (and anything else that decides who is chosen) must never import or query it. The
check parses every module under lep/ with `ast`, so it also covers packages that do not exist yet
(lep/shortlisting): the check is proved on a temporary package that does import it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import lep
from lep.equality.models import QUESTIONS, EqualityResponse
from lep.extensions import db

LEP = Path(lep.__file__).parent
PACKAGE = "lep.equality"

# The only modules outside lep.equality that may import it, and why.
ALLOWED = {
    "lep",  # lep/__init__.py registers the equality blueprint
    "lep.models",  # imports every model for Alembic
    "lep.applications.export",  # a person's own data download (through reporting only)
    "lep.demo",  # demo seeding
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(module: str, is_package: bool, tree: ast.AST) -> set[str]:
    """Every module (or module.attribute) a module imports, relative imports resolved."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            # importlib.import_module("lep.equality...") and __import__("lep.equality...")
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"import_module", "__import__"}:
                found.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return found


def touches_equality(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def importers(root: Path) -> dict[str, set[str]]:
    """Module -> what it imports from lep.equality, for every module under `root` (a lep/)."""
    result: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        hits = {
            name
            for name in imported_names(module, path.name == "__init__.py", tree)
            if touches_equality(name)
        }
        if hits:
            result[module] = hits
    return result


def violations(root: Path) -> dict[str, set[str]]:
    return {
        module: hits
        for module, hits in importers(root).items()
        if not touches_equality(module) and module not in ALLOWED
    }


def test_only_the_named_modules_import_lep_equality():
    found = importers(LEP)
    # The walker sees the real imports (so an empty answer below means something).
    assert "lep.models" in found
    assert "lep" in found
    assert violations(LEP) == {}


def test_nothing_under_shortlisting_imports_lep_equality():
    assert not [m for m in importers(LEP) if m.startswith("lep.shortlisting")]


def test_the_check_catches_a_shortlisting_module_that_imports_equality(tmp_path):
    root = tmp_path / "lep"
    (root / "shortlisting").mkdir(parents=True)
    (root / "equality").mkdir()
    (root / "__init__.py").write_text("from lep.equality.views import bp\n")
    (root / "models.py").write_text("from lep.equality.models import EqualityResponse\n")
    (root / "equality" / "__init__.py").write_text("")
    (root / "equality" / "reporting.py").write_text("from lep.equality.models import QUESTIONS\n")
    (root / "shortlisting" / "__init__.py").write_text("from lep import equality\n")
    (root / "shortlisting" / "lottery.py").write_text(
        "def draw(role_id):\n"
        "    from lep.equality.reporting import role_report  # hidden in a function\n"
        "    return role_report(role_id)\n"
    )
    (root / "shortlisting" / "scoring.py").write_text("from ..equality import models\n")
    (root / "shortlisting" / "panel.py").write_text("import lep.equality.models as m\n")
    (root / "shortlisting" / "sneaky.py").write_text(
        "import importlib\nmod = importlib.import_module('lep.equality.models')\n"
    )
    (root / "shortlisting" / "clean.py").write_text(
        "from lep.applications.models import Application\nfrom . import clean\n"
    )

    found = violations(root)
    assert set(found) == {
        "lep.shortlisting",
        "lep.shortlisting.lottery",
        "lep.shortlisting.scoring",
        "lep.shortlisting.panel",
        "lep.shortlisting.sneaky",
    }
    assert found["lep.shortlisting.scoring"] >= {"lep.equality", "lep.equality.models"}
    assert "lep.shortlisting.clean" not in found


def test_no_other_table_has_a_relationship_to_the_equality_answers():
    """Nothing can reach the answers through an ORM relationship either."""
    for mapper in db.Model.registry.mappers:
        if mapper.class_ is EqualityResponse:
            continue
        for relationship in mapper.relationships:
            assert relationship.mapper.class_ is not EqualityResponse, (
                f"{mapper.class_.__name__}.{relationship.key} reaches the equality answers"
            )


def test_no_module_outside_equality_names_the_table():
    """No raw SQL on the table from anywhere else."""
    offenders = [
        module_name(LEP, path)
        for path in LEP.rglob("*.py")
        if "equality_response" in path.read_text(encoding="utf-8")
        and not touches_equality(module_name(LEP, path))
    ]
    assert offenders == []


# Field names that are ordinary words too are looked for only inside Jinja expressions.
WORDY_FIELDS = [key for key in QUESTIONS if "_" not in key]
IDENTIFIER_FIELDS = [key for key in QUESTIONS if "_" in key] + ["equality_response"]
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def template_mentions(text: str) -> list[str]:
    found = [name for name in IDENTIFIER_FIELDS if name in text]
    for expression in JINJA.findall(text):
        found += [name for name in WORDY_FIELDS if re.search(rf"\b{name}\b", expression)]
    found += [question for question, _ in QUESTIONS.values() if question in text]
    return found


def test_template_mentions_detects_the_fields():
    assert template_mentions("{{ answers.sexual_orientation }}") == ["sexual_orientation"]
    assert template_mentions("<td>{{ r.region }}</td>") == ["region"]
    assert template_mentions("Which region do you live in?") == []


def test_no_template_outside_equality_mentions_the_equality_fields():
    templates = LEP / "templates"
    offenders = {}
    for path in sorted(templates.rglob("*")):
        if not path.is_file() or path.is_relative_to(templates / "equality"):
            continue
        found = template_mentions(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(templates))] = found
    assert offenders == {}
