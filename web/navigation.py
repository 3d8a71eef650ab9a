"""The main navigation: each screen with the rights that open it (any one of them is
enough; none means every logged-in user). What a user may not use is not shown."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Settings' sections (web.views.settings): (name, label, URL name, the right it needs).
SETTINGS_SECTIONS = (
    ("profile", _("Business profile"), "web:settings_profile", "finance.change_financesettings"),
    ("users", _("Users and roles"), "web:settings_users", "auth.change_user"),
    ("tokens", _("API tokens"), "web:settings_tokens", "auth.change_user"),
    ("branches", _("Branches"), "web:settings_branches", "crm.change_branch"),
    ("groups", _("Customer groups"), "web:settings_groups", "crm.change_customergroup"),
    ("products", _("Products and prices"), "web:settings_products", "finance.change_product"),
    ("payment_methods", _("Payment methods"), "web:settings_payment_methods",
     "finance.change_paymentmethod"),
    ("coins", _("Coin rule"), "web:settings_coins", "finance.change_financesettings"),
    ("opening", _("Opening balances"), "web:settings_opening", "finance.set_opening_balance"),
)

# (name, label, URL name, rights)
MAIN_NAVIGATION = (
    ("dashboard", _("Dashboard"), "web:home", ()),
    ("customers", _("Customers"), "web:customer_list", ("crm.view_customer",)),
    ("sale", _("Sale"), "web:sale", ("finance.add_order",)),
    ("import", _("Import"), "web:import", ("exchange.add_importjob", "exchange.add_exportjob")),
    ("statements", _("Statements"), "web:statements", ("finance.view_report",)),
    # Every role reads the daily report of its branches (DESIGN §3: cashier, daily report).
    ("reports", _("Reports"), "web:reports", ()),
    # Settings opens for the right of any of its sections (an accountant: opening balances).
    ("settings", _("Settings"), "web:settings",
     tuple(dict.fromkeys(right for *_section, right in SETTINGS_SECTIONS))),
)


def main_navigation(user) -> list[dict]:
    """The links `user` may follow, in the menu's order."""
    if not user.is_authenticated:
        return []
    return [{"name": name, "label": label, "url": reverse(url_name)}
            for name, label, url_name, rights in MAIN_NAVIGATION
            if not rights or any(user.has_perm(right) for right in rights)]


def screen_allowed(user, name: str) -> bool:
    return any(item["name"] == name for item in main_navigation(user))
