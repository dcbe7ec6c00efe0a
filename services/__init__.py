"""Domain services: one module per domain, each the only owner of its collections and Redis keys."""
