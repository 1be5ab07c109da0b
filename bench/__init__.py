"""The benchmark harness behind `make bench` (docs/benchmarks.md): seeding, the pgbench ceiling, wrk runs."""
