"""`vetreg serve`: the web application under gunicorn."""

from __future__ import annotations

from typing import Any

import click

from cli.common import handle_errors


class _Gunicorn:
    """Runs the app factory inside gunicorn without a separate config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        outer = self

        class Application(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in outer.options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from web import create_app

                return create_app()

        self.options = options
        self.app = Application()

    def run(self) -> None:
        self.app.run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int,
              help="Threads per worker (requests served concurrently by each worker).")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Mark cookies Secure (HTTPS only). Default: on, except when serving plain "
                   "HTTP on a loopback address for local use; VETREG_COOKIE_SECURE overrides.")
@handle_errors
def serve(host: str, port: int, workers: int, threads: int, secure_cookies: bool | None) -> None:
    """Serve the web application and JSON API with gunicorn."""
    import os

    from cli.common import settings
    from registry.context import RegistryContext

    if secure_cookies is None and "VETREG_COOKIE_SECURE" not in os.environ:
        secure_cookies = host not in ("127.0.0.1", "localhost", "::1")
    if secure_cookies is not None:
        os.environ["VETREG_COOKIE_SECURE"] = "1" if secure_cookies else "0"

    from web.config import ensure_secret_key

    RegistryContext.open(settings()).close()  # fail fast with a clear message before forking
    ensure_secret_key(settings())
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads,
               "worker_class": "gthread", "accesslog": "-"}).run()
