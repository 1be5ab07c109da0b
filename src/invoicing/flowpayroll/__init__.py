"""The FlowPayroll-compatible billing dialect (seed 004), mounted at /flowpayroll/v1/billing.

An adapter only: FlowPayroll's ids, field names, envelope and error bodies over the same
services as the primary API. No lifecycle rule lives here.
"""
