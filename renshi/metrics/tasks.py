"""Background work of the metrics app (``manage.py crontask`` imports ``<app>.tasks``):
the connectors' schedule lives in tasks_io.py."""

from . import tasks_io  # noqa: F401  (registers the every-minute connector schedule)
