"""What each command asks of the library, as one call: the lesson found from its source, the
options checked together, the work done, the result returned for a renderer.

The command line (``tutor.cli``) reads its options and calls these; the Python API
(``tutor.explain(…)``, ``tutor.check(…)``, …) calls the very same functions, so a result and an
error are the same whichever way they were asked for.  Parameters are named as the Python
caller names them (``lesson_file``); the command line shows them as its options
(``--lesson-file``).
"""
