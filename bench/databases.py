"""The two bench databases: where they live and how they are made fresh and migrated."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DATABASE_NAME: another name, so two harnesses can run on one server (one after the other is what measures).
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "invoicing_bench")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SQLITE_PATH = ROOT / "var" / "bench" / "invoicing_bench.db"


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    kind: str  # "postgresql" or "sqlite"
    url: str  # DATABASE_URL for the service and the CLI

    @property
    def plain_postgres_url(self) -> str:
        """The URL for asyncpg and libpq (no SQLAlchemy driver suffix)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_database(server_url: str) -> BenchDatabase:
    """`invoicing_bench` on the server DATABASE_URL names (whatever database that URL names)."""
    url = make_url(server_url).set(drivername="postgresql", database=BENCH_DATABASE)
    return BenchDatabase("postgresql", url.render_as_string(hide_password=False))


def admin_url(database: BenchDatabase) -> str:
    return make_url(database.plain_postgres_url).set(database="postgres").render_as_string(hide_password=False)


def sqlite_database(path: Path = SQLITE_PATH) -> BenchDatabase:
    return BenchDatabase("sqlite", f"sqlite:///{path}")


def service_environment(database: BenchDatabase, **settings: str) -> dict[str, str]:
    """The environment for `invoicing` commands on the bench database (it wins over any .env).

    APP_DATABASE_URL is set empty, not left out: a .env naming another database would otherwise
    send the server there.
    """
    overrides = {"DATABASE_URL": database.url, "APP_DATABASE_URL": "", "PYTHONUNBUFFERED": "1"}
    return os.environ | overrides | settings


def migrate(database: BenchDatabase) -> None:
    """The project's own migrations, exactly as `invoicing migrate` runs them."""
    subprocess.run(
        [sys.executable, "-m", "invoicing", "migrate"],
        env=service_environment(database),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
