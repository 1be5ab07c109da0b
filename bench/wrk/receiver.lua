-- The webhook receiver's own ceiling (docs/benchmarks.md): POSTs shaped like a delivery, as fast
-- as the connections go. Not a scenario of the service; run by hand:
--   .venv/bin/python -m bench.receiver --port 18555 &
--   wrk --threads 1 --connections 16 --duration 10s --script bench/wrk/receiver.lua http://127.0.0.1:18555/hooks/1
wrk.method = "POST"
wrk.body = string.rep("x", 3000) -- about the size of an invoice's webhook payload
wrk.headers["Content-Type"] = "application/json"
wrk.headers["webhook-id"] = "msg_0123456789abcdef01234567"
