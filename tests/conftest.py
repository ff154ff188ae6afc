import sys
from pathlib import Path

# The plugin is imported as Pelican imports it: from PLUGIN_PATHS = ["plugins"].
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
