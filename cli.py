"""The ``tutor`` command line, runnable from a checkout: ``python cli.py explain sigmoid``.

This file is where a reader starts: the application itself lives in :mod:`tutor.cli`, one
module per command (``tutor/cli/explain.py``, ``tutor/cli/train.py``, …); each command turns
its options into a call of the library (``tutor.calculus``, ``tutor.explaining``,
``tutor.checking``, ``tutor.backpropagation``, ``tutor.training``, ``tutor.assessment``) and hands
the result to a renderer (``tutor.renderers``).  Installed, the same application is the
``tutor`` script and ``python -m tutor``; this file is not installed.
"""

from tutor.cli import main

if __name__ == "__main__":
    main(prog_name="tutor")
