"""Feature modules of the API. Every module in this package is found automatically:

- `router`: an APIRouter mounted under /api (CSRF protection applies to it automatically);
- `page_router`: an APIRouter mounted at the site root (HTML pages such as /agent/);
- its SQLAlchemy models (subclasses of kbgen.api.db.Base), seen by migrations and schema checks.

Adding a feature therefore touches no shared file: add a module here and a migration."""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def feature_modules() -> list[ModuleType]:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
