"""The HTTP interface (DRF) onto the domain services. Idempotency records live in every
schema (public for signup, each tenant's for its own requests)."""
