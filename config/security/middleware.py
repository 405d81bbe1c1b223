from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from config.security import two_factor


class SecondFactorMiddleware:
    """Nothing under the admin opens for a user who owes a second factor and has not given it,
    except signing in, signing out and the second-factor pages: any other admin URL redirects to
    them. Everything outside the admin (the API, the browsable API's login) is left alone.

    Installed after ``django_otp.middleware.OTPMiddleware``, which tells whether the session gave
    the second factor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._guarded(request.path) and self._owes_second_factor(request):
            return HttpResponseRedirect(
                f"{reverse('security:verify')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)

    @staticmethod
    def _guarded(path: str) -> bool:
        if not path.startswith(reverse("admin:index")):
            return False
        # The second-factor pages all live under security:verify's path.
        open_paths = (reverse("admin:login"), reverse("admin:logout"), reverse("security:verify"))
        return not path.startswith(open_paths)

    @staticmethod
    def _owes_second_factor(request: HttpRequest) -> bool:
        user = request.user
        return two_factor.needs_second_factor(user) and not two_factor.is_verified(user)
