"""Configuration: nothing secret has a default outside development and tests."""

import pytest

from config import ProductionConfig, database_url
from sas import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["PRODUCTION"] and app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db/sas", "postgresql+psycopg://u:p@db/sas"),
        ("postgres://u:p@db/sas", "postgresql+psycopg://u:p@db/sas"),
        ("postgresql+psycopg://u@db/sas", "postgresql+psycopg://u@db/sas"),
        ("sqlite:////srv/sas.sqlite3", "sqlite:////srv/sas.sqlite3"),
    ],
)
def test_database_url_from_the_environment(monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url("sqlite://") == used
