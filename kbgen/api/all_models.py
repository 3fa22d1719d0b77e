"""Imports every module that declares tables, so metadata (and schema checks) see them all:
the core models plus every module in kbgen.api.features."""
from __future__ import annotations


def metadata():
    from . import models  # noqa: F401
    from .db import Base
    from .features import feature_modules

    feature_modules()
    return Base.metadata
