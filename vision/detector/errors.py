"""The one error type for "this model file cannot be used"."""

from gatewatch.vision.errors import UserError


class ModelError(UserError):
    """A model file is missing, not ONNX, or does not have the layout its adapter expects."""
