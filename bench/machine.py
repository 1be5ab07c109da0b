"""The tools the harness needs, and what the figures were measured on."""

import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import asyncpg

INSTALL_HINTS = {
    "wrk": "install it with `apt-get install -y wrk` (Debian/Ubuntu; `make bench` does so when run as root)",
    "pgbench": "it comes with PostgreSQL's server package on Debian (postgresql-15) or postgresql-contrib elsewhere",
}


def missing_tools(names: list[str]) -> list[str]:
    return [f"{name}: {INSTALL_HINTS[name]}" for name in names if shutil.which(name) is None]


async def postgresql_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        version: str = await connection.fetchval("SHOW server_version")
        return version.split()[0]
    finally:
        await connection.close()


def describe(postgresql: str | None) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "postgresql": postgresql or "not run",
        "sqlite": sqlite3.sqlite_version,
        "wrk": _wrk_version(),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    # `wrk -v` prints its version line and the usage, and exits 1.
    finished = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    first = (finished.stdout or finished.stderr).splitlines()
    return " ".join(first[0].split()[:2]) if first else "wrk"
