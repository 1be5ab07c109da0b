"""Self-hostable, multi-tenant invoicing service."""

__version__ = "0.1.0"
