from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.views.auth import MeView, TokenView

router = DefaultRouter(trailing_slash=False)

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="auth-token"),
    path("me", MeView.as_view(), name="me"),
    path("", include("api.urls_crm")),
    path("", include("api.urls_finance")),
    path("", include("api.urls_exchange")),
    *router.urls,
]
