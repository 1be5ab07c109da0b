"""The dashboard at /app: server-rendered pages for people, over the same services as the API."""
