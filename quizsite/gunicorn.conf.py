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
# Learners keep their connection between saves (keep-alive is cheap with threads).
keepalive = 5
