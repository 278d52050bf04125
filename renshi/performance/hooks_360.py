"""Events and menu entries of the 360 review and the actuals import (imported from apps.py)."""
