"""API tokens (django-rest-knox): hashed in the database, expiring, revocable."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.errors import error_response
from config.security import lockout


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        user = authenticate(request, username=attrs["username"], password=attrs["password"])
        if user is None:
            # django-axes flags the request it refused, or whose failure reached the limit.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked()
            raise serializers.ValidationError(
                "Unknown username or wrong password.", code="invalid_credentials"
            )
        attrs["user"] = user
        return attrs


class TokenLimitReached(exceptions.PermissionDenied):
    default_code = "token_limit_reached"


class AccountLocked(exceptions.APIException):
    """Too many wrong passwords for this username or from this address (config/security/lockout.py):
    429 with Retry-After, like the admin's lockout page."""

    status_code = lockout.LOCKED_OUT_STATUS
    default_code = "account_locked"

    def __init__(self) -> None:
        super().__init__(lockout.locked_out_message())
        self.wait = lockout.cool_off().total_seconds()


class TokenView(knox_views.LoginView):
    """Exchange a username and password for a token; send it as ``Authorization: Token <token>``.
    A user holds at most ``REST_KNOX["TOKEN_LIMIT_PER_USER"]`` unexpired tokens at once."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "auth"

    def get_token_limit_per_user(self) -> None:
        # knox would refuse with a body of its own ({"error": ...}); the cap is enforced in post()
        # instead, to answer in the one error shape.
        return None

    def refuse_beyond_the_token_limit(self, user: Any) -> None:
        limit = super().get_token_limit_per_user()
        if limit is None:
            return
        active = user.auth_token_set.filter(Q(expiry__gt=timezone.now()) | Q(expiry__isnull=True))
        if active.count() >= limit:
            tokens = "token" if limit == 1 else "tokens"
            raise TokenLimitReached(
                f"You already have {limit} active {tokens}, the most allowed; sign out of one "
                "(POST /api/v1/auth/logout/) or all (/api/v1/auth/logout-all/) first."
            )

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "expiry": serializers.DateTimeField(allow_null=True),
                },
            ),
            400: error_response("Missing fields, or unknown username or wrong password."),
            403: error_response(
                "You already hold the most tokens allowed (code `token_limit_reached`); sign out of "
                "one or all first."
            ),
            429: error_response(
                "Too many failed sign-ins for this username or from this address (code "
                "`account_locked`; the detail and Retry-After say when to try again), or too many "
                "requests (code `throttled`)."
            ),
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request, format: Any = None) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        self.refuse_beyond_the_token_limit(request.user)
        return super().post(request, format=format)


class LogoutView(knox_views.LogoutView):
    """Revoke the token this request was made with."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format=format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the signed-in user."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format=format)
