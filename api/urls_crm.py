"""CRM routes on the tenant host, included from api/urls_tenant.py."""

from rest_framework.routers import DefaultRouter

from api.views.crm import BranchViewSet, CustomerGroupViewSet, CustomerViewSet

router = DefaultRouter(trailing_slash=False)
router.include_root_view = False
router.register("branches", BranchViewSet, basename="branch")
router.register("customer-groups", CustomerGroupViewSet, basename="customer-group")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = router.urls
