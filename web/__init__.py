"""Flask adapter: the app factory; views stay thin and call one service each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from registry.config import Settings
from registry.context import RegistryContext
from web.config import web_config

csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


def create_app(
    settings: Settings | None = None,
    registry: RegistryContext | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the web application around an opened registry."""
    app = Flask(__name__)
    settings = settings or Settings.from_env()
    app.config.update(web_config(settings, config))
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["vetreg"] = registry or RegistryContext.open(settings)

    from web import i18n, security, session
    from web.api import api

    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    csrf.exempt(api)  # bearer-token API: no cookies, so no cross-site request forgery
    app.register_blueprint(api)
    _register_pages(app)

    app.before_request(session.load_session)
    app.after_request(security.add_security_headers)
    security.register_error_pages(app)
    _template_helpers(app)
    return app


def _register_pages(app: Flask) -> None:
    from web.account import bp as account_bp
    from web.admin import bp as admin_bp
    from web.audit import bp as audit_bp
    from web.auth import bp as auth_bp
    from web.lifecycle import bp as lifecycle_bp
    from web.officials import bp as officials_bp
    from web.taskforces import bp as taskforces_bp
    from web.work import bp as work_bp

    for blueprint in (auth_bp, work_bp, officials_bp, taskforces_bp, account_bp, admin_bp,
                      lifecycle_bp, audit_bp):
        app.register_blueprint(blueprint)


def _template_helpers(app: Flask) -> None:
    from web import i18n, labels, nav, session

    @app.context_processor
    def layout() -> dict[str, Any]:
        actor = session.current_actor()
        return {
            "current_actor": actor,
            "nav_entries": nav.registry(app).visible(actor),
            "may": session.may,
            "locales": i18n.LANGUAGE_NAMES,
            "field_label": i18n.field_label,
        }

    app.jinja_env.filters["date"] = lambda value: format_date(value, "medium") if value else ""
    app.jinja_env.filters["datetime"] = lambda value: (
        format_datetime(value, "medium") if value else ""
    )
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.globals["g"] = g
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["field_label"] = i18n.field_label
    app.jinja_env.globals["term"] = labels.term
    app.jinja_env.globals["translate"] = i18n.translate_message
