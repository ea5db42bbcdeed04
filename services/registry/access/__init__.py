"""Who looked at which enterprise: the partner access log (read by enterprises and regulators)."""
