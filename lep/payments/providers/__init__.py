"""Payment providers, chosen by config (PAYMENT_PROVIDER): `bacs` (default) or `stripe`."""

from __future__ import annotations

from flask import Flask, current_app

from lep.payments.providers.base import PaymentProvider


def _bacs(app: Flask) -> PaymentProvider:
    from lep.payments.providers.bacs import BacsProvider

    return BacsProvider()


def _stripe(app: Flask) -> PaymentProvider:
    from lep.payments.providers.stripe import StripeProvider  # the only importer of `stripe`

    return StripeProvider.from_config(app.config)


PROVIDERS = {"bacs": _bacs, "stripe": _stripe}


def get_provider(app: Flask | None = None) -> PaymentProvider:
    """The configured provider, made once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.extensions.get("lep_payment_provider")
    if provider is None:
        name = app.config.get("PAYMENT_PROVIDER", "bacs")
        if name not in PROVIDERS:
            raise RuntimeError(f"unknown PAYMENT_PROVIDER {name!r}: choose {', '.join(PROVIDERS)}")
        provider = PROVIDERS[name](app)
        app.extensions["lep_payment_provider"] = provider
    return provider
