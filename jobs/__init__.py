"""Background jobs on arq. Every arq call lives in this package, so the queue can be replaced in one place."""
