from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from saas_platform.login_throttle import username_digest


class SignupThrottle(AnonRateThrottle):
    scope = "signup"


class LoginThrottle(SimpleRateThrottle):
    """Per address and username, so one attacker cannot lock out a whole office."""

    scope = "login"

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        username = username_digest(data.get("username", ""))
        return self.cache_format % {"scope": self.scope,
                                    "ident": f"{self.get_ident(request)}:{username}"}
