"""gunicorn's settings in production (`gunicorn --config quizsite/gunicorn.conf.py`).

Measured choice (docs/performance.md, "Worker class"): threaded workers,
two per core. Override with GUNICORN_WORKERS, GUNICORN_THREADS and
GUNICORN_WORKER_CLASS.
"""

import os

workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# A request still running after this long is a stuck worker: it is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# Idle keep-alive connections wait in the worker's poller, not in a thread,
# so holding them is cheap. Longer than a load balancer's idle timeout (60 s
# is common) and a learner's pause between saves: with gunicorn's default of
# 2 s (or 5) a client could send on a connection the server was closing and
# get "connection reset" (measured: 1 in 88 saves at 5-10 s think time).
keepalive = 75
