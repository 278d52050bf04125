"""Registrations of the results part (notification events, alert evaluators, menu entries),
imported when the app is ready."""
