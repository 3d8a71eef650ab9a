"""Finance locks customers through CRM's one lock helper (crm/locks.py): rows in primary-key
order before SELECT ... FOR UPDATE, so CRM's services (merge, deactivate) and finance's
never deadlock each other. Every finance service that moves a balance takes this lock
first, before any other lock (document counters, orders, vouchers)."""

from crm.locks import customer_lock, customers_lock

__all__ = ["customer_lock", "customers_lock"]
