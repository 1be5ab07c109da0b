"""`make bench`'s documents phase: it issues its sample through the services and times every format."""

from pathlib import Path

from bench.databases import migrate, sqlite_database
from bench.documents import measure_documents
from bench.tenants import create_tenants

FORMATS = ["snapshot_load", "pdf", "factur_x_pdf", "cii", "ubl"]


async def test_the_documents_phase_renders_every_format_of_every_sampled_invoice(tmp_path: Path) -> None:
    database = sqlite_database(tmp_path / "bench.db")
    migrate(database)
    await create_tenants(database.url, 2)

    results = await measure_documents(database, tenants=2, count=3)

    assert [row.name for row in results] == FORMATS
    assert all(row.database == "sqlite" and row.documents == 3 for row in results)
    assert all(0 < row.median_ms <= row.p95_ms and row.per_core_per_s > 0 for row in results)
    # The loads render nothing; every format answered a document (a Factur-X PDF carries its CII).
    sizes = {row.name: row.mean_kb for row in results}
    assert sizes["snapshot_load"] == 0
    assert sizes["factur_x_pdf"] > sizes["pdf"] > sizes["cii"] > 0
    assert sizes["ubl"] > 0
