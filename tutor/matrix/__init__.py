"""Matrix calculus with shapes: gradients of scalar expressions of vectors and matrices,
written in the notation of NumPy and PyTorch (``X.T @ (X @ w - y) / n``).

``notation`` reads the text into a shaped tree (``tree``); ``derive`` takes the gradient
backwards with named rules, each step checked by central differences; ``algebra`` keeps the
results tidy; ``check`` judges a vectorised gradient written by hand; ``problem`` holds the
matrix lessons of ``lessons/matrix/`` and typed expressions; ``explain`` puts them together.
"""
