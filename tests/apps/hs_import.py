# A WSGIImportScript for the mod_wsgi 3.x sample config: marks the interpreter it ran in, so the
# application in the same process group and application group can tell it was imported first.
import os
import sys

sys.hs_imported = os.getpid()
