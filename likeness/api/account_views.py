"""Sign-in for API clients: a named token that expires, listed and revoked by its owner."""
from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from likeness.accounts import second_factor
from likeness.accounts.models import ApiToken
from likeness.accounts.services import api_token_create, api_token_revoke
from likeness.api import account_serializers as s


def prove_second_factor(request: Request, data: dict) -> None:
    """An `otp_code` in the body proves the second factor for this request (the services check it)."""
    code = data.get("otp_code")
    problem = second_factor.code_problem(request.user, code) if code else None
    if problem:
        raise exceptions.ValidationError({"otp_code": [problem]})


class TokenObtainView(APIView):
    """Exchange a username and password for a token. Failed attempts count towards the sign-in lockout."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "sign_in"

    @extend_schema(request=s.TokenCreateSerializer, responses={
        201: s.TokenIssuedSerializer, 400: OpenApiResponse(description="wrong username or password"),
        429: OpenApiResponse(description="too many attempts: locked out or throttled")})
    def post(self, request: Request) -> Response:
        body = s.TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # The plain HttpRequest: django-axes records the attempt and marks a lockout on it.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            # A lockout answers 429 in django-axes' middleware; this is the plain wrong-password case.
            raise exceptions.ValidationError({"non_field_errors": ["unable to sign in with that username and "
                                                                   "password"]})
        token, secret = api_token_create(user=user, name=data["name"], expires_in_days=data.get("expires_in_days"))
        payload = s.TokenSerializer(token).data
        return Response({"token": secret, **payload}, status=status.HTTP_201_CREATED)


class TokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.TokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(s.TokenSerializer(tokens, many=True).data)


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse(description="no such token of yours")})
    def delete(self, request: Request, token_id: str) -> Response:
        token = ApiToken.objects.filter(user=request.user, token_key=token_id).first()
        if token is None:
            raise exceptions.NotFound("you hold no token with that id")
        api_token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
