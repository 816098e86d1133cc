"""Frontdesk's settings plus three bare routes (bench/floor_urls.py) that measure what the
stack itself costs per request on this machine: the floor under every API figure.

Used only by bench/measure.py, which serves it the same way as the helpdesk (uvicorn,
same workers, same middleware, same authentication classes)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
