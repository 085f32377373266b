# A WSGIImportScript: leaves a file in the scratch dir when imported, so a test can see that the
# daemon preloaded it at start, before any request.
import os

_scratch = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scratch")
with open(os.path.join(_scratch, "preloaded-%d" % os.getpid()), "w") as f:
    f.write("imported")
