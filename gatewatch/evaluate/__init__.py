"""`gatewatch eval counts`: person counting and track continuity measured on labelled frames."""
