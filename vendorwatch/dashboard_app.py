"""The Streamlit script of the dashboard (``vendorwatch dashboard`` runs it): the settings from
the ``VENDORWATCH_*`` environment, the wall clock, then :func:`dashboard.app.main`. Bad
settings are shown on the page, not raised."""

from dashboard.app import cannot_start, configure_page, main
from vendorwatch.clock import utc_now
from vendorwatch.settings import SettingsError, load_settings

configure_page()
try:
    settings = load_settings()
except SettingsError as exc:
    cannot_start(str(exc))
else:
    main(settings, clock=utc_now)
