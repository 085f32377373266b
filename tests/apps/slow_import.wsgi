# An import script that takes a moment, so a test can see a daemon group still starting.
import time

time.sleep(2)
