"""The Streamlit dashboard over the read-model snapshot (issue 5; not built yet)."""
