"""The main navigation: each screen with the rights that open it (any one of them is
enough; none means every logged-in user). What a user may not use is not shown."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (name, label, URL name, rights)
MAIN_NAVIGATION = (
    ("dashboard", _("Dashboard"), "web:home", ()),
    ("customers", _("Customers"), "web:customer_list", ("crm.view_customer",)),
    ("sale", _("Sale"), "web:sale", ("finance.add_order",)),
    ("import", _("Import"), "web:import", ("exchange.add_importjob", "exchange.add_exportjob")),
    ("statements", _("Statements"), "web:statements", ("finance.view_report",)),
    # Every role reads the daily report of its branches (DESIGN §3: cashier, daily report).
    ("reports", _("Reports"), "web:reports", ()),
    ("settings", _("Settings"), "web:settings",
     ("crm.change_branch", "auth.change_user", "finance.change_financesettings")),
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
