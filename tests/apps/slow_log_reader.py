# A piped logger (ErrorLog "|...") that reads slowly, about 2 KB/s, like a stalled container log
# driver under pressure: whoever writes faster fills the pipe.
import fcntl
import sys
import time

# One page of pipe: full at once, and drained (so the test sees the reader catch up) in 2 s.
fcntl.fcntl(0, fcntl.F_SETPIPE_SZ, 4096)

out = open(sys.argv[1], "ab", buffering=0)
src = sys.stdin.buffer.raw
while True:
    data = src.read(4096)
    if not data:
        break
    out.write(data)
    time.sleep(2.0)
