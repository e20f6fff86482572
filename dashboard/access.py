"""Who is looking, and what they may do (``DashboardConfig.dashboard``).

* ``demo`` mode: everyone is the open ``demo`` viewer with every permission; every page says so.
* ``production`` mode: Streamlit's OIDC login (``st.login``) when an ``[auth]`` section is in
  Streamlit's secrets, the e-mail mapped to a role by ``dashboard.users``; otherwise a login
  form: a name from ``dashboard.users`` and the password from Streamlit's secrets
  (``[dashboard] password``) or ``VENDORWATCH_DASHBOARD__PASSWORD``.
* Roles: ``ops`` acknowledge and silence; ``manager`` reads (reports); ``admin`` may do all,
  rules included. A viewer's role is looked up on every run, so removing a user takes effect
  at once. Passwords are compared in constant time and never shown or logged.
"""

from __future__ import annotations

import hmac
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from dashboard.settings import DashboardConfig, DashboardRole

Permission = Literal["read", "acknowledge", "change_rules"]

PERMISSIONS: dict[DashboardRole, frozenset[Permission]] = {
    "ops": frozenset({"read", "acknowledge"}),
    "manager": frozenset({"read"}),
    "admin": frozenset({"read", "acknowledge", "change_rules"}),
}
_ROLES_FOR = {
    "acknowledge": "ops or admin",
    "change_rules": "admin",
    "read": "any",
}
_SESSION_KEY = "vendorwatch_viewer"
DEMO_BANNER = "demo mode: no login — anyone who can open this page can acknowledge and silence"


@dataclass(frozen=True)
class Viewer:
    """The person using the dashboard (``demo`` in demo mode) and their role."""

    name: str
    role: DashboardRole
    demo: bool = False
    oidc: bool = False

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def refusal(self, permission: Permission) -> str | None:
        """Why the viewer may not (a button's disabled reason), or None if they may."""
        if self.may(permission):
            return None
        return f"needs role {_ROLES_FOR[permission]} (you are {self.name}, {self.role})"


def _secret(section: str, key: str | None = None) -> Any:
    """A value from Streamlit's secrets, or None when there are no secrets or no such key."""
    try:
        value = st.secrets.get(section)
        if key is not None and value is not None:
            value = value.get(key)
    except FileNotFoundError:  # no secrets file at all (StreamlitSecretNotFoundError)
        return None
    return value


def _password(settings: DashboardConfig) -> str | None:
    from_secrets = _secret("dashboard", "password")
    if from_secrets:
        return str(from_secrets)
    configured = settings.dashboard.password
    return configured.get_secret_value() if configured is not None else None


def current_viewer(settings: DashboardConfig) -> Viewer | None:
    """Who is logged in (renders nothing); None when production mode needs a login first."""
    users = settings.dashboard.users
    if settings.dashboard.mode == "demo":
        return Viewer("demo", "admin", demo=True)
    if _secret("auth") is not None:
        if not st.user.is_logged_in:
            return None
        email = str(st.user.get("email") or "")
        role = users.get(email)
        return Viewer(email, role, oidc=True) if role is not None else None
    name = st.session_state.get(_SESSION_KEY)
    if isinstance(name, str) and name in users:
        return Viewer(name, users[name])
    return None


def login(settings: DashboardConfig) -> None:
    """Render the login: the OIDC button (or why it cannot work), else the password form."""
    st.title("vendorwatch")
    if _secret("auth") is not None:
        _oidc_login(settings)
    else:
        _password_login(settings)


def _oidc_login(settings: DashboardConfig) -> None:
    if st.user.is_logged_in:  # logged in with the provider, but not a dashboard user
        email = str(st.user.get("email") or "this account")
        st.error(f"{email} is not a dashboard user: ask an admin to add it to dashboard.users.")
        st.button("Log out", on_click=st.logout)
    elif importlib.util.find_spec("authlib") is None:
        st.error(
            "Login is configured ([auth] in Streamlit's secrets) but Authlib is not installed: "
            "pip install 'streamlit[auth]'."
        )
    else:
        st.button("Log in", on_click=st.login, type="primary")


def _password_login(settings: DashboardConfig) -> None:
    expected = _password(settings)
    if not expected:
        st.error(
            "Production mode needs a login: set VENDORWATCH_DASHBOARD__PASSWORD (or password "
            "under [dashboard] in Streamlit's secrets), or configure OIDC ([auth] in secrets)."
        )
        return
    with st.form("login"):
        user = st.text_input("User", key="login_user")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        matches = hmac.compare_digest(password.encode(), expected.encode())
        if matches and user in settings.dashboard.users:
            st.session_state[_SESSION_KEY] = user
            st.rerun()
        st.error("Unknown user or wrong password.")


def show_viewer(viewer: Viewer) -> None:
    """The banner every page carries in demo mode, or who is logged in with a log-out."""
    if viewer.demo:
        st.warning(DEMO_BANNER, icon="🔓")
        return
    with st.sidebar:
        st.caption(f"Logged in as **{viewer.name}** ({viewer.role})")
        if viewer.oidc:
            st.button("Log out", on_click=st.logout, key="logout")
        elif st.button("Log out", key="logout"):
            del st.session_state[_SESSION_KEY]
            st.rerun()
