from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(
        '<!doctype html><link rel="stylesheet" href="/static/style.css">'
        "<h1>Hello from Django under wsgid</h1>\n"
    )


urlpatterns = [path("", index)]
