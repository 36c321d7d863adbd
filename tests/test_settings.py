"""Settings come from the environment; a bad value stops the start with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


SET_BY_THE_TESTS = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL", "SITE_URL")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "qms.example.com",
    "SITE_URL": "https://qms.example.com",
}


def run_django(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SET_BY_THE_TESTS}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("EMAIL_PORT", "twenty-five"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("DATABASE_URL", "nonsense://x"),
        ("DATABASE_URL", "notaurl"),
        ("DATABASE_URL", "mysql://qms@db/qms"),
        ("DATABASE_URL", "postgres://qms@db"),
        ("DATABASE_URL", "sqlite://"),
        ("REDIS_URL", "notaurl"),
        ("REDIS_URL", "http://redis:6379/0"),
        ("REDIS_URL", "redis://redis:port/0"),
        ("SITE_URL", "qms.example.com"),
        ("SITE_URL", "ftp://qms.example.com"),
        ("EMAIL_PORT", "0"),
        ("EMAIL_PORT", "70000"),
        ("SESSION_IDLE_MINUTES", "-5"),
        ("KPI_DATA_GRACE_DAYS", "-1"),
        ("LOGIN_FAILURE_LIMIT", "0"),
        ("CSRF_TRUSTED_ORIGINS", "qms.example.com"),
        ("LOG_LEVEL", "chatty"),
        ("EVIDENCE_MAX_UPLOAD_MB", "0"),
        ("EVIDENCE_MAX_UPLOAD_MB", "20MB"),
        ("RETENTION_ARCHIVE_AFTER_YEARS", "0"),
        ("RETENTION_ARCHIVE_AFTER_YEARS", "ten"),
    ],
)
def test_bad_value_fails_at_start_naming_the_variable(variable, value):
    result = run_django("check", **{variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} " in result.stderr


def test_a_redis_url_with_a_password_is_not_repeated_in_the_message():
    result = run_django("check", REDIS_URL="redis://:s3cret@redis:notaport/0")

    assert "REDIS_URL must be a redis:// or rediss:// URL" in result.stderr
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "redis://127.0.0.1:6379/0"),
        ("REDIS_URL", "rediss://:pass@redis.example.com:6380/1"),
        ("SITE_URL", "https://qms.example.com/quality"),
        ("LOG_LEVEL", "warning"),
        ("RETENTION_ARCHIVE_AFTER_YEARS", "7"),
    ],
)
def test_good_values_are_accepted(variable, value):
    result = run_django("check", **{variable: value})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("hosts", ["", " , "])
def test_production_needs_allowed_hosts(hosts):
    result = run_django("check", **{**PRODUCTION, "ALLOWED_HOSTS": hosts})

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must name the host" in result.stderr


def test_production_needs_the_site_url_for_links_in_emails():
    result = run_django("check", **{**PRODUCTION, "SITE_URL": ""})

    assert result.returncode != 0
    assert "ImproperlyConfigured: SITE_URL must be set when DEBUG is off" in result.stderr


def test_secret_key_is_required_in_production():
    result = run_django("check", DEBUG="false", ALLOWED_HOSTS="qms.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_django(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}"
    )

    assert result.returncode == 0, result.stderr
