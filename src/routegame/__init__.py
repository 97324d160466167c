"""routegame."""
