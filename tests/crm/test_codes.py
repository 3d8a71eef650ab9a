from django_tenants.utils import schema_context

from crm.codes import customer_codes_next, customer_codes_reserve


def test_codes_are_per_tenant_and_skip_reserved_ones(acme, globex):
    with schema_context(acme.schema_name):
        first = customer_codes_next(2)
        assert first[0].startswith("KH") and len(first[0]) == 8
        # Ahead of wherever the counter is (other tests of the session draw codes too).
        reserved = int(first[-1][2:]) + 500
        customer_codes_reserve([f"KH{reserved:06d}", "VIP-1"])
        assert customer_codes_next() == [f"KH{reserved + 1:06d}"]
    with schema_context(globex.schema_name):
        # globex's sequence is its own (cloned schemas get their own sequence)
        assert customer_codes_next() != [f"KH{reserved + 2:06d}"]
