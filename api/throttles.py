from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class SignupThrottle(AnonRateThrottle):
    scope = "signup"


class LoginThrottle(SimpleRateThrottle):
    """Per address and username, so one attacker cannot lock out a whole office."""

    scope = "login"

    def get_cache_key(self, request, view):
        username = str(request.data.get("username", "")).strip().lower()[:150]
        return self.cache_format % {"scope": self.scope,
                                    "ident": f"{self.get_ident(request)}:{username}"}
