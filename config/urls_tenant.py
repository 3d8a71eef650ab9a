"""URLs of a tenant host (`<subdomain>.<base domain>`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import home

urlpatterns = [
    path("", home, name="home"),
    path("api/v1/", include("api.urls_tenant")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
