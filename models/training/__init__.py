"""Training the gatewatch weapon model (optional extra `train`; never imported by the product)."""
