"""Matrix derivations and verdicts as text, Markdown, LaTeX and JSON."""
