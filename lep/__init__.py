"""lep: recruit and pay people with lived experience. create_app() builds the Flask app."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader

from config import CONFIGS, DEFAULT_SECRET_KEY, INSTANCE_DIR, Config
from lep.dbfaults import LepFlask
from lep.requests import IdConverter, LepRequest


class ConfigError(RuntimeError):
    """The app refuses to start with this configuration."""


def create_app(config: str | type[Config] | None = None, **overrides: Any) -> Flask:
    app = LepFlask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.request_class = LepRequest
    app.url_map.converters["int"] = IdConverter
    register_config(app, config, overrides)
    register_sign_in_limits(app)
    register_templates(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: str | type[Config] | None, overrides: dict) -> None:
    if config is None:
        config = os.environ.get("LEP_CONFIG", "development")
    if isinstance(config, str):
        if config not in CONFIGS:
            raise ConfigError(f"unknown LEP_CONFIG {config!r}: use one of {sorted(CONFIGS)}")
        config = CONFIGS[config]
    app.config.from_object(config)
    app.config.update(overrides)
    if app.config["ENV_NAME"] == "production":
        key = app.config.get("SECRET_KEY") or ""
        if key == DEFAULT_SECRET_KEY or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if app.config.get("PAYMENT_PROVIDER", "bacs") == "bacs":
            from cryptography.fernet import Fernet

            try:
                Fernet(app.config.get("BANK_DETAILS_KEY") or "")
            except ValueError as exc:
                raise ConfigError(
                    "BANK_DETAILS_KEY must be set in production to a Fernet key (make one with: "
                    'python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())")'
                ) from exc
    os.makedirs(app.instance_path, exist_ok=True)
    from lep import logs

    logs.configure(app)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_sign_in_limits(app: Flask) -> None:
    from lep.accounts import limits

    limits.trust_proxies(app)
    limits.warn_if_per_worker(app)


def register_templates(app: Flask) -> None:
    from lep.components import ComponentCache, ComponentLoader

    nhsuk = PackageLoader("nhsuk_frontend_jinja")
    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [
                FileSystemLoader(os.path.join(app.root_path, "templates")),
                ComponentLoader(nhsuk),  # each component's macro, rendered through the cache
                nhsuk,
            ]
        ),
        "autoescape": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    cache = ComponentCache(app.jinja_env, app.config["COMPONENT_CACHE_SIZE"])
    app.jinja_env.globals["nhsuk_component"] = cache.render
    app.extensions["lep_components"] = cache
    from lep import filters

    filters.register(app)


def register_extensions(app: Flask) -> None:
    from lep import logs, pagecache
    from lep.extensions import csrf, db, limiter, login_manager, migrate

    logs.init_app(app)  # first, so every later step's log lines carry the request id
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    pagecache.init_app(app)
    from lep import models  # noqa: F401  (every table, for Alembic)
    from lep.accounts import auth  # noqa: F401  (registers the user loader)


def register_blueprints(app: Flask) -> None:
    from lep.accounts.staff_views import bp as staff_bp
    from lep.accounts.two_factor_views import bp as two_factor_bp
    from lep.accounts.views import bp as accounts_bp
    from lep.api import register_api
    from lep.applications.export import bp as my_data_bp
    from lep.applications.hr_views import bp as hr_applications_bp
    from lep.applications.views import bp as applications_bp
    from lep.audit.views import bp as audit_bp
    from lep.equality.fairness_views import bp as fairness_bp
    from lep.equality.views import bp as equality_bp
    from lep.expenses.export import bp as expenses_export_bp
    from lep.expenses.finance_views import bp as expenses_finance_bp
    from lep.expenses.views import bp as expenses_bp
    from lep.extensions import csrf
    from lep.health import bp as health_bp
    from lep.main.views import bp as main_bp
    from lep.notifications.admin_views import bp as admin_emails_bp
    from lep.partners.involvement_views import bp as involvement_bp
    from lep.partners.views import bp as partners_bp
    from lep.payments.onboarding_views import bp as payment_onboarding_bp
    from lep.payments.report_views import bp as payment_reports_bp
    from lep.payments.views import bp as payments_bp
    from lep.payments.webhooks import bp as payment_webhooks_bp
    from lep.roles.hr_views import bp as hr_roles_bp
    from lep.roles.views import bp as roles_bp
    from lep.shortlisting.lottery_views import bp as lottery_bp
    from lep.shortlisting.moderation_views import bp as moderation_bp
    from lep.shortlisting.offer_views import bp as offers_bp
    from lep.shortlisting.panel_views import bp as panel_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(two_factor_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(admin_emails_bp)
    app.register_blueprint(roles_bp)
    app.register_blueprint(hr_roles_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(hr_applications_bp)
    app.register_blueprint(equality_bp)
    app.register_blueprint(my_data_bp)
    app.register_blueprint(panel_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(lottery_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(fairness_bp)
    app.register_blueprint(expenses_bp)
    app.register_blueprint(expenses_finance_bp)
    app.register_blueprint(expenses_export_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(payment_reports_bp)
    app.register_blueprint(payment_onboarding_bp)
    csrf.exempt(payment_webhooks_bp)  # Stripe signs its requests; it cannot send a CSRF token
    app.register_blueprint(payment_webhooks_bp)
    app.register_blueprint(involvement_bp)
    register_api(app)
    if app.config.get("DEV_OUTBOX_PAGE") and app.config["ENV_NAME"] == "development":
        from lep.notifications.dev_views import bp as dev_outbox_bp

        app.register_blueprint(dev_outbox_bp)


def register_security(app: Flask) -> None:
    from lep import security

    security.register(app)


def register_errors(app: Flask) -> None:
    from lep import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from lep import commands

    app.cli.add_command(commands.lep_cli)
