from flask import Flask, jsonify, render_template_string, request

app = Flask(__name__)


@app.route("/")
def index():
    return render_template_string("<h1>{{ title }}</h1>{% for i in items %}<p>{{ i }}</p>{% endfor %}",
                                  title="wsgid", items=range(5))


@app.route("/json")
def data():
    return jsonify(args=request.args, ok=True)


@app.route("/post", methods=["POST"])
def post():
    return jsonify(form=request.form)


application = app
