"""Applications: the accessible application journey, support needs, files, other ways to apply."""
