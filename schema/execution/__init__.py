"""Planned execution of GraphQL queries: graphql-core's semantics without its per-field walk.

See executor.py for what is planned and what falls back to graphql-core.
"""

from schema.execution.executor import PlannedExecutor, planned_executor_class

__all__ = ["PlannedExecutor", "planned_executor_class"]
