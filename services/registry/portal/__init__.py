"""The public disclosure portal: server-rendered pages over the registry's own services."""
