# Entry point for the Django test project (python-path must include this directory).
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsgitest.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
