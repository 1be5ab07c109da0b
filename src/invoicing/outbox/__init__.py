"""The outbox: what a change tells the outside world, written in the change's transaction and
delivered by the worker (webhooks and e-mails), at least once, with retries."""
