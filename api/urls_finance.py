"""Finance routes (no trailing slashes): catalogue, orders, vouchers, customer finance tabs."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from api.views import finance as v

router = SimpleRouter(trailing_slash=False)
router.register("products", v.ProductViewSet, basename="product")
router.register("agreement-prices", v.AgreementPriceViewSet, basename="agreement-price")
router.register("payment-methods", v.PaymentMethodViewSet, basename="payment-method")
router.register("orders", v.OrderViewSet, basename="order")
router.register("vouchers", v.VoucherViewSet, basename="voucher")

urlpatterns = [
    path("customers/<int:pk>/ledger", v.CustomerEntriesView.as_view(), name="customer-ledger"),
    path("customers/<int:pk>/prepaid", v.CustomerPrepaidView.as_view(), name="customer-prepaid"),
    path("customers/<int:pk>/coins", v.CustomerCoinsView.as_view(), name="customer-coins"),
    path("customers/<int:pk>/purchases", v.CustomerPurchasesView.as_view(),
         name="customer-purchases"),
    path("customers/<int:pk>/aging", v.CustomerAgingView.as_view(), name="customer-aging"),
    path("customers/<int:pk>/statement", v.CustomerStatementView.as_view(),
         name="customer-statement"),
    path("customers/<int:pk>/payments", v.CustomerPaymentsView.as_view(),
         name="customer-payments"),
    path("customers/<int:pk>/debt-adjust", v.CustomerDebtAdjustView.as_view(),
         name="customer-debt-adjust"),
    path("customers/<int:pk>/prepaid/topup", v.CustomerPrepaidTopupView.as_view(),
         name="customer-prepaid-topup"),
    path("customers/<int:pk>/prepaid/refund", v.CustomerPrepaidRefundView.as_view(),
         name="customer-prepaid-refund"),
    path("customers/<int:pk>/opening-balance", v.CustomerOpeningBalanceView.as_view(),
         name="customer-opening-balance"),
    path("finance-settings", v.FinanceSettingsView.as_view(), name="finance-settings"),
    path("reports/aging", v.AgingReportView.as_view(), name="report-aging"),
    path("reports/daily", v.DailyReportView.as_view(), name="report-daily"),
    *router.urls,
]
