"""A hostile provider (tests/hostile/server.py) and the syncs and imports that must survive it."""
