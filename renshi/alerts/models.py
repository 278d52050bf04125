"""Pace alerts (built by the alerts helper)."""
