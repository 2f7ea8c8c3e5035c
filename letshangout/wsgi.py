"""WSGI entry point for gunicorn: letshangout.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "letshangout.settings")

application = get_wsgi_application()
