"""The one error type for "this model file cannot be used"."""


class ModelError(Exception):
    """A model file is missing, not ONNX, or does not have the layout its adapter expects."""
