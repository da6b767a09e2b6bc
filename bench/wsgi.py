"""WSGI entry point of the bench app for gunicorn: ``gunicorn bench.wsgi:app`` (see bench/server.py)."""
import gc

from bench.app import create_bench_app

app = create_bench_app()
gc.freeze()  # as wsgi.py does
