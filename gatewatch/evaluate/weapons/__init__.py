"""`gatewatch eval weapons`: the weapon model on the held-out weapon test images and the no-weapon sample clips."""
