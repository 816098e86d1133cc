"""Models of the automation app."""
