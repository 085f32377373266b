# An import script that never finishes in time: startup-timeout must end the daemon.
import time

time.sleep(120)
