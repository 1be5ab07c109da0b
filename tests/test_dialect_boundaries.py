"""The dialects are adapters (STYLE 7): they call the features' services and hold no data access of
their own, so a rule or a query can never live in one dialect only."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "invoicing"
DIALECTS = ("highlevel", "flowpayroll")
# What a dialect may take from SQLAlchemy: the type of the rows the services return, and the
# errors it renders in its own shape (a lost uniqueness race, a busy pool).
SQLALCHEMY_TYPES = {"RowMapping"}
SQLALCHEMY_ERRORS = "sqlalchemy.exc"


def imported_names(path: Path) -> set[tuple[str, str]]:
    """(module, name) of every `from module import name`, and (module, "") of every `import module`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update((alias.name, "") for alias in node.names)
    return found


def data_access(module: str, name: str) -> bool:
    if module == SQLALCHEMY_ERRORS:
        return False
    if module == "sqlalchemy" or module.startswith("sqlalchemy."):
        return name not in SQLALCHEMY_TYPES
    return name.endswith("Repository") or module.endswith(".tables") or name in ("text", "select", "update")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_dialect_imports_no_repository_table_or_query_builder(dialect: str) -> None:
    reaching = sorted(
        (path.relative_to(PACKAGE).as_posix(), module, name)
        for path in (PACKAGE / dialect).rglob("*.py")
        for module, name in imported_names(path)
        if data_access(module, name)
    )
    assert reaching == []
