"""People who sign in to the dashboard: accounts per tenant, roles, passwords and sessions."""
