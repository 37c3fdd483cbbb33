"""Renderers: they read derivations, steps and numbers and lay them out; they compute no
mathematics.  One module per format; ``notation`` writes expressions for a terminal."""
