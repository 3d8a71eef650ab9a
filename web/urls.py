"""The staff web app's screens on a tenant host; each tab its own URL."""

from django.urls import path

from web.language import language_set
from web.views import auth, coming, customers, dashboard, sale

app_name = "web"
urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/link/<str:token>", auth.login_link, name="login_link"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", language_set, name="language"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/debt", customers.customer_debt, name="customer_debt"),
    path("customers/<int:pk>/payments", customers.customer_payment, name="customer_payment"),
    path("sale/", sale.sale, name="sale"),
    path("sale/customers", sale.sale_customers, name="sale_customers"),
    path("sale/<int:pk>/", sale.sale_done, name="sale_done"),
    # Part 2's screens; each replaces its line.
    path("import/", coming.coming, {"screen": "import"}, name="import"),
    path("statements/", coming.coming, {"screen": "statements"}, name="statements"),
    path("reports/", coming.coming, {"screen": "reports"}, name="reports"),
    path("settings/", coming.coming, {"screen": "settings"}, name="settings"),
]
