"""Tenants and bearer tokens, made by the service's own functions so the server accepts them."""

from dataclasses import dataclass

from bench.dataset import CURRENCY, TenantSeed
from invoicing.auth.scopes import parse_scopes
from invoicing.auth.service import create_token
from invoicing.core.db import create_engine, transaction
from invoicing.series.repository import SeriesRepository
from invoicing.tenants.service import create_tenant


@dataclass(frozen=True, slots=True)
class BenchTenant:
    seed: TenantSeed
    token: str  # shown once by the service; only its hash is stored


async def create_tenants(database_url: str, count: int) -> list[BenchTenant]:
    """Tenants 1..count (the database must be fresh: the wrk scripts and pgbench count on those ids)."""
    engine = create_engine(database_url, pool_size=1)
    created = []
    try:
        for number in range(1, count + 1):
            async with transaction(engine, write=True) as connection:
                tax_number = f"{number:010d}"
                tenant = await create_tenant(
                    connection, name=f"Bench tenant {number}", base_currency=CURRENCY, tax_number=tax_number
                )
                tenant_id = int(tenant["id"])
                issued = await create_token(connection, tenant_id=tenant_id, scopes=parse_scopes(None), expires_in=None)
                series = await SeriesRepository(connection, tenant_id).default()
            assert series is not None, "create_tenant makes a default series"
            if tenant_id != number:
                raise RuntimeError(f"tenant {number} got id {tenant_id}: the bench database was not fresh")
            seed = TenantSeed(
                tenant_id=tenant_id,
                series_id=int(series["id"]),
                actor=f"token:{issued.public_id}",
                tax_number=tax_number,
            )
            created.append(BenchTenant(seed=seed, token=issued.token))
    finally:
        await engine.dispose()
    return created
