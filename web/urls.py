"""The staff web app's screens on a tenant host; each tab its own URL."""

from django.urls import path

from web.language import language_set
from web.views import auth, coming, customer_actions, customer_form, customers, dashboard, sale

app_name = "web"
urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/link/<str:token>", auth.login_link, name="login_link"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", language_set, name="language"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new", customer_form.customer_create, name="customer_create"),
    path("customers/duplicates", customer_form.customer_duplicates, name="customer_duplicates"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit", customer_form.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/debt", customers.customer_debt, name="customer_debt"),
    path("customers/<int:pk>/purchases", customers.customer_purchases,
         name="customer_purchases"),
    path("customers/<int:pk>/prepaid", customers.customer_prepaid, name="customer_prepaid"),
    path("customers/<int:pk>/coins", customers.customer_coins, name="customer_coins"),
    path("customers/<int:pk>/aging", customers.customer_aging, name="customer_aging"),
    path("customers/<int:pk>/payments/preview", customer_actions.customer_payment_preview,
         name="customer_payment_preview"),
    path("customers/<int:pk>/audit", customers.customer_audit, name="customer_audit"),
    path("customers/<int:pk>/payments", customer_actions.customer_payment,
         name="customer_payment"),
    path("customers/<int:pk>/debt-adjust", customer_actions.customer_debt_adjust,
         name="customer_debt_adjust"),
    path("customers/<int:pk>/prepaid/topup", customer_actions.customer_prepaid_topup,
         name="customer_prepaid_topup"),
    path("customers/<int:pk>/prepaid/refund", customer_actions.customer_prepaid_refund,
         name="customer_prepaid_refund"),
    path("customers/<int:pk>/deactivate", customer_actions.customer_deactivate,
         name="customer_deactivate"),
    path("customers/<int:pk>/reactivate", customer_actions.customer_reactivate,
         name="customer_reactivate"),
    path("customers/<int:pk>/delete", customer_actions.customer_delete,
         name="customer_delete"),
    path("customers/<int:pk>/vouchers/<int:voucher_id>/cancel",
         customer_actions.voucher_cancel, name="voucher_cancel"),
    path("customers/<int:pk>/vouchers/<int:voucher_id>/receipt",
         customer_actions.voucher_receipt, name="voucher_receipt"),
    path("sale/", sale.sale, name="sale"),
    path("sale/customers", sale.sale_customers, name="sale_customers"),
    path("sale/<int:pk>/", sale.sale_done, name="sale_done"),
    # Part 2's screens; each replaces its line.
    path("import/", coming.coming, {"screen": "import"}, name="import"),
    path("statements/", coming.coming, {"screen": "statements"}, name="statements"),
    path("reports/", coming.coming, {"screen": "reports"}, name="reports"),
    path("settings/", coming.coming, {"screen": "settings"}, name="settings"),
]
