"""GraphQL types, one module per type. They never import a database or queue driver."""
