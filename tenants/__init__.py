"""Public schema: tenants, their domains, provisioning and the signup pool."""
