"""Production overrides, Pelican convention: `pelican content -s publishconf.py`."""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: F403

SITEURL = NEWSLETTER["public_url"]  # noqa: F405
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = False
