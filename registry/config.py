"""Settings from `VETREG_*` environment variables, with safe defaults for the embedded setup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "VETREG_"


def _default_instance() -> Path:
    return Path(os.environ.get("VETREG_INSTANCE_DIR", Path.cwd() / "instance"))


def _default_screening_workers() -> int:
    """One worker per core beyond the first (the asking process takes a share too), up to 3."""
    return max(0, min(3, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class Settings:
    """Runtime configuration shared by the web app, the CLI and the tests."""

    instance_dir: Path = field(default_factory=_default_instance)
    database_url: str = ""
    key_provider: str = "file"
    key_file: Path | None = None
    redress_answer_working_days: int = 20
    import_batch_size: int = 2000
    # Processes that take a share of a large screening batch (`registry.workers`); 0: none.
    screening_workers: int = field(default_factory=_default_screening_workers)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{self.instance_dir / 'vetreg.sqlite3'}"
            )
        if self.key_file is None:
            object.__setattr__(self, "key_file", self.instance_dir / "vetreg.keys")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read `VETREG_*` variables; explicit keyword overrides win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if "VETREG_INSTANCE_DIR" in env:
            values["instance_dir"] = Path(env["VETREG_INSTANCE_DIR"])
        if "VETREG_DATABASE_URL" in env:
            values["database_url"] = env["VETREG_DATABASE_URL"]
        if "VETREG_KEY_PROVIDER" in env:
            values["key_provider"] = env["VETREG_KEY_PROVIDER"]
        if "VETREG_KEY_FILE" in env:
            values["key_file"] = Path(env["VETREG_KEY_FILE"])
        if "VETREG_IMPORT_BATCH_SIZE" in env:
            values["import_batch_size"] = int(env["VETREG_IMPORT_BATCH_SIZE"])
        if "VETREG_SCREENING_WORKERS" in env:
            values["screening_workers"] = int(env["VETREG_SCREENING_WORKERS"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
