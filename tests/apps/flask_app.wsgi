# A minimal Flask site: a page and an upload endpoint that answers with the body's sha256.
import hashlib
import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/")
def index():
    return "Flask says hello from pid %d\n" % os.getpid()


@app.route("/upload", methods=["POST"])
def upload():
    data = request.get_data(cache=False)
    return "%d %s\n" % (len(data), hashlib.sha256(data).hexdigest())


application = app
