from django.urls import path

from api.views.platform import SignupView

urlpatterns = [
    path("signup", SignupView.as_view(), name="signup"),
]
