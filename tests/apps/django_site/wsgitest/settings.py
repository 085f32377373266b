# Just enough Django to route requests: no database, no middleware, no templates.
SECRET_KEY = "integration-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "wsgitest.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
# The tests upload 5 MiB; Django's default refuses bodies over 2.5 MiB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
LOGGING_CONFIG = None
