"""A one-file Django project with the ORM on sqlite, sessions, auth and templates."""
import os
import tempfile

import django
from django.conf import settings

_dir = tempfile.mkdtemp(prefix="wsgid-dj-")
settings.configure(
    DEBUG=False,
    SECRET_KEY="derive-only",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": os.path.join(_dir, "db.sqlite3")}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def setup():
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)


def index(request):
    request.session["n"] = request.session.get("n", 0) + 1
    tpl = engines["django"].from_string("<p>{{ users }} users, visit {{ n }}</p>")
    return HttpResponse(tpl.render({"users": User.objects.count(), "n": request.session["n"]}))


@csrf_exempt
def post(request):
    user, _ = User.objects.get_or_create(username=request.POST.get("name", "anon"))
    return JsonResponse({"id": user.id, "users": list(User.objects.values_list("username",
                                                                               flat=True))})


urlpatterns = [path("", index), path("post", post), path("json", index)]
application = get_wsgi_application()
