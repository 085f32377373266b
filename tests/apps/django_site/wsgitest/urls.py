import hashlib
import os
import platform

import django

from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse("Django says hello from pid %d\n" % os.getpid(), content_type="text/plain")


def upload(request):
    data = request.body
    return HttpResponse("%d %s\n" % (len(data), hashlib.sha256(data).hexdigest()),
                        content_type="text/plain")


def versions(request):
    return HttpResponse("django=%s python=%s" % (django.get_version(), platform.python_version()),
                        content_type="text/plain")


urlpatterns = [
    path("", index),
    path("upload", upload),
    path("versions", versions),
]
