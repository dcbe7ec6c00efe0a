"""Gateway duties around the GraphQL endpoint: HTTP semantics, limits, errors, logs and metrics."""
