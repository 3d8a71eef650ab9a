"""URLs of the public host (the platform): signup, API docs, platform admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls_public")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"),
         name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
