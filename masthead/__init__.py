"""Masthead's editor-facing library: what publish.py calls. Build-time work goes through
Pelican and the newsletter plugin; send-time work lives in `delivery/`."""
