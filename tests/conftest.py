import os

# plots in tests never need a screen
os.environ.setdefault("MPLBACKEND", "Agg")
