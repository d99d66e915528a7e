"""The production environment of platform/env.example passes `manage.py check --deploy` with no warning, and the
settings refuse to start without a real secret key. Run in fresh processes: settings are read once."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LIKENESS_", "DATABASE_", "CELERY_"))}
    for line in (ROOT / "platform" / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)  # the example's placeholder is refused (see below)
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_with_the_production_environment_is_clean() -> None:
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


def test_without_a_real_secret_key_production_refuses_to_start() -> None:
    for key in ("", "change-me-to-a-long-random-string", "local-development-key-not-for-production"):
        done = manage("check", env=production_env(DJANGO_SECRET_KEY=key))
        assert done.returncode != 0
        assert "DJANGO_SECRET_KEY must be set" in done.stderr


def test_debug_is_off_unless_asked_for() -> None:
    env = production_env()
    env.pop("DJANGO_DEBUG")
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='likeness.settings'; django.setup(); " \
           "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, " \
           "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split(maxsplit=5) == ["False", "True", "True", "True", "True",
                                             "('HTTP_X_FORWARDED_PROTO', 'https')\n"], done.stderr


def test_seed_demo_refuses_outside_local_runs() -> None:
    done = manage("seed_demo", env=production_env(DATABASE_URL="sqlite:////nonexistent/never-opened.sqlite3"))
    assert done.returncode != 0
    assert "runs only in local runs" in done.stderr
