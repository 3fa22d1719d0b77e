"""The widget's bundler is kbgen.jsbundle, the one the pages use (kept importable here)."""
from __future__ import annotations

from ..jsbundle import JS_FOLDER, bundle_entry as bundle, module_name as module_variable

__all__ = ["JS_FOLDER", "bundle", "module_variable"]
