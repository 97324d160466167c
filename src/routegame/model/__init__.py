"""The model: validated parameters, policies and the one result type of a solved game."""
