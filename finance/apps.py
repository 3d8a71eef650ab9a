from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_ALL = ("owner", "manager", "accountant", "salesperson", "cashier")
_BACK_OFFICE = ("owner", "manager", "accountant")
# DESIGN §3 roles table: everybody sells and takes payments; adjusting debt, writing off
# and cancelling vouchers is for owner, manager and accountant.
FINANCE_PERMISSIONS = {
    "finance.view_product": _ALL,
    "finance.view_agreementprice": _ALL,
    "finance.view_order": _ALL,
    "finance.add_order": _ALL,
    "finance.view_voucher": _ALL,
    "finance.add_voucher": _ALL,
    "finance.add_product": ("owner", "manager"),
    "finance.change_product": ("owner", "manager"),
    "finance.delete_product": ("owner", "manager"),
    "finance.add_agreementprice": ("owner", "manager"),
    "finance.change_agreementprice": ("owner", "manager"),
    "finance.delete_agreementprice": ("owner", "manager"),
    "finance.override_price_order": ("owner", "manager"),
    "finance.view_paymentmethod": _ALL,
    "finance.add_paymentmethod": ("owner", "manager"),
    "finance.change_paymentmethod": ("owner", "manager"),
    "finance.cancel_order": _BACK_OFFICE,
    "finance.adjust_debt": _BACK_OFFICE,
    "finance.write_off_debt": _BACK_OFFICE,
    "finance.cancel_voucher": _BACK_OFFICE,
    "finance.set_opening_balance": _BACK_OFFICE,
    "finance.refund_prepaid": _BACK_OFFICE,
    "finance.view_report": (*_BACK_OFFICE, "salesperson"),
}


class FinanceConfig(AppConfig):
    """Tenant app: catalogue, orders, vouchers, ledger (every table in tenant schemas)."""

    name = "finance"
    verbose_name = _("Finance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import hooks
        from crm.roles import ROLE_PERMISSIONS
        from finance import exceptions  # noqa: F401  (registers the API's domain errors)
        from finance.hooks import (
            customer_deactivate_guard,
            customer_delete_guard,
            customer_merge_step,
        )

        for guards, guard in ((hooks.customer_delete_guards, customer_delete_guard),
                              (hooks.customer_deactivate_guards, customer_deactivate_guard),
                              (hooks.customer_merge_steps, customer_merge_step)):
            if guard not in guards:
                guards.append(guard)
        for perm, roles in FINANCE_PERMISSIONS.items():
            for role in roles:
                ROLE_PERMISSIONS[role].add(perm)
