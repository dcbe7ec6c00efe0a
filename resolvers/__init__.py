"""Root resolvers: read arguments, call a service, map the result. Nothing else."""
