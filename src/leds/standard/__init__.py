"""The national data standard: code lists, validators and record models."""

from .models import DATA_MODELS, Ref, Updategram

__all__ = ["DATA_MODELS", "Ref", "Updategram"]
