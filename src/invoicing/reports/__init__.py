"""Reports over a tenant's invoices and payments: receivables aging, revenue per month, top customers."""
