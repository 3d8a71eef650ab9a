"""Tenant schema: branches, staff membership and roles, and (later) customers."""
