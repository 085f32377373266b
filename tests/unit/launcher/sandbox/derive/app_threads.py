"""Thread-per-request server, plus threads and a pool started by the app itself."""
import concurrent.futures
import queue
import threading

threaded = True
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
_lock = threading.Lock()
_hits = 0


def _work(n):
    return sum(range(n))


def application(environ, start_response):
    global _hits
    results = queue.Queue()
    t = threading.Thread(target=lambda: results.put(_work(1000)))
    t.start()
    t.join()
    total = sum(_pool.map(_work, range(50))) + results.get()
    with _lock:
        _hits += 1
    ev = threading.Event()
    ev.wait(0.001)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{total} {_hits}\n".encode()]
