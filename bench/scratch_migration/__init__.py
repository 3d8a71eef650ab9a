"""A throwaway tenant migration (a column and an index on crm_customer) for `bench migrate`
and the tests of `migrate_tenants`. Installed only in processes started with
CHAINLEDGER_SCRATCH_MIGRATION=1, and then migrate_tenants migrates scratch tenants' schemas
only (tenants.fleet_migrations), which their benchmark or test removes afterwards: no
other schema ever records it."""
