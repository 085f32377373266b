"""A small Flask app: a page and a JSON endpoint, to show a framework app running in wsgid."""
import os

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from Flask under wsgid\n"


@app.route("/info")
def info():
    return jsonify(greeting=os.environ.get("GREETING", ""), pid=os.getpid())
