"""Imports every module that declares tables, so metadata (and schema checks) see them all:
the core models plus the feature modules that kbgen.api.features lists."""
from __future__ import annotations


def metadata():
    from . import models  # noqa: F401
    from .db import Base
    from .features import model_modules

    model_modules()
    return Base.metadata
