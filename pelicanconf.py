"""Settings of one newsletter: Front Line. Pelican reads the UPPERCASE names."""

AUTHOR = "Front Line editors"
SITENAME = "Front Line"
SITEURL = ""  # root-relative links while previewing; publishconf.py sets the public URL
PATH = "content"
OUTPUT_PATH = "output"
TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
THEME = "theme"

PLUGIN_PATHS = ["plugins"]
PLUGINS = ["newsletter"]

# The newsletter plugin alone reads issues/, articles/ and series/; Pelican reads only pages/.
ARTICLE_PATHS: list[str] = []
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images"]
READERS = {"html": None}
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"

# Pelican's own listings and feeds are replaced by the plugin's (issues, series, topics).
DIRECT_TEMPLATES: list[str] = []
ARTICLE_SAVE_AS = ""
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
CACHE_CONTENT = False

# Front matter is text: escape it in every template. Bodies rendered from Markdown arrive
# as Markup and are left alone.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}

# Everything the plugin and publish.py need, in one dict (checked in one place at start-up).
NEWSLETTER = {
    "name": "Front Line",
    "tagline": "Practical notes for people who run service teams",
    # The address readers reach the archive at; email links and images are made absolute
    # against it, even while SITEURL is empty for local previews.
    "public_url": "https://frontline.example.org",
    "publication_day": "Tuesday",
    "publisher": {
        "name": "Harbour Lane Service Group",
        "address": "14 Harbour Lane, Suite 3, Portsmouth, NH 03801, USA",
        "contact": "editor@frontline.example.org",
    },
    "copyright": "© 2024–2026 Harbour Lane Service Group",
    "from": "Front Line <newsletter@frontline.example.org>",
    "reply_to": "newsletter@frontline.example.org",  # replies reach `inbox process`
    "list_id": "frontline.example.org",
    # The subscription service (publish.py serve): subscribe form, confirm and unsubscribe.
    "service_url": "https://frontline.example.org/service",
    # Replies to this address with UNSUBSCRIBE or SUBSCRIBE are handled by `inbox process`.
    "requests_address": "newsletter@frontline.example.org",
    # Send-time settings; MASTHEAD_* environment variables override them.
    "store": "subscribers.db",
    "smtp": {
        "host": "localhost",
        "port": 25,
        "security": "none",
        "connections": 4,
        "rate": 20.0,
        "error_budget": 0.05,
    },
}
