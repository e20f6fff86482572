"""The Streamlit dashboard: pages over the published read-model snapshot (never the engine's
own store); its only writes are control commands on the control topic."""
