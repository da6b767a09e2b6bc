"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""
import gc

from portal import create_app

app = create_app()
# The app's start-up objects (templates, catalogs, metadata) live as long as the worker: keep them out of
# the garbage collector's full passes (~190,000 objects, ~0.2 s per pass otherwise).
gc.freeze()
