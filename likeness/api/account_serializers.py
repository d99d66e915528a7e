from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from likeness.accounts.models import ApiToken


class TokenCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="API client",
                                 help_text="what will use the token, shown on your Security page")
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=settings.API_TOKEN_MAX_DAYS,
                                               help_text=f"default {settings.API_TOKEN_DEFAULT_DAYS}")


class TokenSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", read_only=True,
                               help_text="the token's first characters; use it to revoke the token")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "expiry", "last_used_at"]
        read_only_fields = fields


class TokenIssuedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="the secret: shown once, send it as 'Token <secret>'")

    class Meta(TokenSerializer.Meta):
        fields = ["token", *TokenSerializer.Meta.fields]
        read_only_fields = fields


class SecondFactorSerializer(serializers.Serializer):
    """Binding acts take the current code of the caller's authenticator."""

    otp_code = serializers.RegexField(r"^\s*\d{6}\s*$", required=False, max_length=12,
                                      help_text="6-digit code from your authenticator app; needed unless this "
                                                "session proved one in the last minutes")
