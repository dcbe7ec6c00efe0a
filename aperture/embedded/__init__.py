"""Stand-ins that supply endpoints or handles when no real store is configured."""
