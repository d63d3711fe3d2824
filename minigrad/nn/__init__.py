"""Neural-network layers (filled in by the nn issue)."""
