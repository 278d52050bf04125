"""Registrations of the plans part (notification events, alert evaluators, menu entries),
imported when the app is ready."""
