"""Production mode: nothing without a login; roles decide who may acknowledge; a link into
the dashboard survives the login. Demo mode says on every page that it is open."""

from __future__ import annotations

import importlib.util
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.apptest import dashboard_app, joined, open_page
from tests.dashboard.readmodels import ACKED, ReadModels
from vendorwatch.settings import Settings

PASSWORD = "correct horse battery staple"
USERS = {"olga": "ops", "maria": "manager", "adam": "admin", "olga@example.com": "ops"}


def production(read_models: ReadModels, password: str | None = PASSWORD) -> Settings:
    dashboard: dict[str, object] = {"mode": "production", "users": USERS}
    if password is not None:
        dashboard["password"] = password
    return Settings(
        read_model={"dir": read_models.normal, "stale_after": timedelta(days=1)},  # type: ignore[arg-type]
        dashboard=dashboard,  # type: ignore[arg-type]
    )


def log_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    (submit,) = [b for b in at.button if b.label == "Log in"]
    return submit.click().run()


def everything_shown(at: AppTest) -> str:
    return "\n".join(
        joined(kind) for kind in (at.markdown, at.caption, at.error, at.warning, at.info, at.title)
    )


@pytest.fixture
def app(read_models: ReadModels, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return dashboard_app(production(read_models), monkeypatch)


def test_production_shows_only_the_login_until_logged_in(app: AppTest) -> None:
    at = open_page(app, "overview")
    assert not at.exception
    assert [t.value for t in at.title] == ["vendorwatch"]
    assert not at.dataframe
    assert "demo mode" not in everything_shown(at)
    log_in(at, "olga", "wrong")
    assert "Unknown user or wrong password." in joined(at.error)
    assert not at.dataframe
    log_in(at, "mallory", PASSWORD)
    assert "Unknown user or wrong password." in joined(at.error)
    assert not at.dataframe
    assert PASSWORD not in everything_shown(at)


def test_ops_may_acknowledge_and_a_deep_link_survives_the_login(app: AppTest) -> None:
    at = open_page(app, "vendor", vendor_id=ACKED[0])
    log_in(at, "olga", PASSWORD)
    assert not at.exception
    assert "Initech Cloud Hosting BV" in joined(at.header)
    assert "Logged in as **olga** (ops)" in joined(at.sidebar.caption)
    at = open_page(at, "alerts")
    assert at.button(key="ack").disabled is False
    assert at.button(key="silence").disabled is False


def test_a_manager_reads_but_may_not_acknowledge(app: AppTest) -> None:
    at = open_page(app, "alerts")
    log_in(at, "maria", PASSWORD)
    assert not at.exception
    assert at.tabs  # reads the page
    ack = at.button(key="ack")
    assert ack.disabled is True
    assert ack.help == "needs role ops or admin (you are maria, manager)"
    assert at.button(key="silence").disabled is True
    assert "Acknowledge and silence are disabled: needs role ops or admin" in joined(at.caption)


def test_logging_out_returns_to_the_login(app: AppTest) -> None:
    at = open_page(app, "overview")
    log_in(at, "adam", PASSWORD)
    assert at.dataframe
    at.sidebar.button(key="logout").click().run()
    assert not at.dataframe
    assert [b.label for b in at.button] == ["Log in"]


def test_the_password_may_come_from_streamlit_secrets(
    read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = dashboard_app(production(read_models, password=None), monkeypatch)
    at = open_page(at, "overview")
    assert "Production mode needs a login" in joined(at.error)
    at.secrets["dashboard"] = {"password": "from-secrets"}
    at = open_page(at, "overview")
    log_in(at, "olga", "from-secrets")
    assert at.dataframe


def test_oidc_login_maps_the_e_mail_to_a_role(
    read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = dashboard_app(production(read_models), monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback"}
    at.user = {"is_logged_in": False}
    at = open_page(at, "overview")
    assert not at.dataframe
    if importlib.util.find_spec("authlib") is None:  # streamlit[auth] is not a dependency
        assert "Authlib is not installed" in joined(at.error)
    else:
        assert [b.label for b in at.button] == ["Log in"]
    at.user = {"is_logged_in": True, "email": "eve@example.com"}
    at = open_page(at, "overview")
    assert "eve@example.com is not a dashboard user" in joined(at.error)
    assert not at.dataframe
    at.user = {"is_logged_in": True, "email": "olga@example.com"}
    at = open_page(at, "alerts")
    assert not at.exception
    assert at.button(key="ack").disabled is False


def test_demo_mode_says_so_on_every_page(
    read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(read_model={"dir": read_models.normal})  # type: ignore[arg-type]
    at = dashboard_app(settings, monkeypatch)
    for page in ("overview", "vendor", "alerts"):
        open_page(at, page)
        first = at.main.children[0]  # the banner comes first (nor any stray "magic" output)
        assert type(first).__name__ == "Warning", page
        assert "demo mode: no login" in first.value, page


def test_bad_settings_are_shown_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    at = dashboard_app(Settings(), monkeypatch)
    monkeypatch.setenv("VENDORWATCH_DASHBOARD__MODE", "open")
    at.run()
    assert not at.exception
    error = joined(at.error)
    assert "vendorwatch dashboard cannot start: invalid settings" in error
    assert "dashboard.mode (VENDORWATCH_DASHBOARD__MODE" in error
