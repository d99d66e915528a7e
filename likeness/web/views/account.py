"""The Security page: password, authenticator (the second factor binding acts ask for) and API tokens."""
from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse_lazy
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from likeness.accounts import second_factor as factor
from likeness.accounts import services
from likeness.accounts.models import ApiToken
from likeness.accounts.second_factor import SecondFactorRequired
from likeness.web import second_factor
from likeness.web.forms.account import AuthenticatorCodeForm, TokenForm

ISSUED_KEY = "likeness.token_just_issued"


def _setup_context(user: Any) -> dict[str, Any] | None:
    """An authenticator being set up: the QR code and the secret to type in by hand."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        return None
    secret = base64.b32encode(device.bin_key).decode()
    return {"qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title="Authenticator set-up"),
            "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))}


def _page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "device": factor.confirmed_device(request.user),
        "setup": _setup_context(request.user),
        "second_factor": second_factor.state(request),
        "tokens": ApiToken.objects.filter(user=request.user),
        "issued": request.session.pop(ISSUED_KEY, None),
        "token_form": TokenForm(),
        "code_form": AuthenticatorCodeForm(),
        **extra,
    }
    return render(request, "web/account/security.html", context, status=status)


@login_required
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _with_code(request: HttpRequest, act: Callable[[], object], done: str | None = None) -> HttpResponse:
    """Run an authenticator change that needs a fresh code (posted with it, or proved earlier in the session)."""
    problem = second_factor.prove(request)
    if problem:
        messages.error(request, problem)
        return redirect("web:account")
    try:
        act()
    except SecondFactorRequired as exc:
        messages.error(request, f"{exc}.")
    else:
        if done:
            messages.success(request, done)
    return redirect("web:account")


@login_required
@require_POST
def authenticator_begin(request: HttpRequest) -> HttpResponse:
    return _with_code(request, lambda: services.authenticator_begin(user=request.user))


@login_required
@require_POST
def authenticator_confirm(request: HttpRequest) -> HttpResponse:
    form = AuthenticatorCodeForm(request.POST)
    if form.is_valid():
        try:
            services.authenticator_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.message_dict.get("code", exc.messages))
        else:
            factor.remember(request)
            messages.success(request, "Authenticator set up. Binding acts now ask for its code.")
            return redirect("web:account")
    return _page(request, status=400, code_form=form)


@login_required
@require_POST
def authenticator_remove(request: HttpRequest) -> HttpResponse:
    def remove() -> None:
        services.authenticator_remove(user=request.user)
        factor.forget(request)

    return _with_code(request, remove, "Authenticator removed: binding acts are refused until you set up another.")


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.api_token_create(user=request.user, name=form.cleaned_data["name"],
                                                      expires_in_days=form.cleaned_data["expires_in_days"])
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            # Shown once, on the next page only; the platform keeps a digest.
            request.session[ISSUED_KEY] = {"name": token.name, "secret": secret}
            return redirect("web:account")
    return _page(request, status=400, token_form=form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, user=request.user, token_key=token_id)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("web:account")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/account/password.html"
    success_url = reverse_lazy("web:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        revoked = services.password_changed(user=self.request.user)
        messages.success(self.request, "Password changed." + (
            f" Your {revoked} API token{'s' if revoked != 1 else ''} were revoked: create new ones." if revoked else ""))
        return response


routes = [
    path("account/", security, name="account"),
    path("account/password/", PasswordChangeView.as_view(), name="password_change"),
    path("account/authenticator/begin/", authenticator_begin, name="authenticator_begin"),
    path("account/authenticator/confirm/", authenticator_confirm, name="authenticator_confirm"),
    path("account/authenticator/remove/", authenticator_remove, name="authenticator_remove"),
    path("account/tokens/", token_create, name="token_create"),
    path("account/tokens/<str:token_id>/revoke/", token_revoke, name="token_revoke"),
]
