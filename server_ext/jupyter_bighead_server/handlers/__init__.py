"""One small handler module per resource."""
