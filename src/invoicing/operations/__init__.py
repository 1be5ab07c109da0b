"""Operations: health and readiness probes, Prometheus metrics, one log line per request."""
