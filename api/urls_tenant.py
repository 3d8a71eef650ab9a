from django.urls import path
from rest_framework.routers import DefaultRouter

from api.views.auth import MeView, TokenView

router = DefaultRouter(trailing_slash=False)

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="auth-token"),
    path("me", MeView.as_view(), name="me"),
    *router.urls,
]
