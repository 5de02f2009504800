"""`gatewatch eval counts` and `gatewatch eval weapons`: what models and rules achieve on labelled data."""
