"""Access policies of the alerts app (built by the alerts helper)."""
