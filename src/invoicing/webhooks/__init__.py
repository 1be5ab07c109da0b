"""Webhook endpoints: a tenant's receivers of signed events (Standard Webhooks)."""
