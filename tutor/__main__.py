"""``python -m tutor``: the same command line as the ``tutor`` script."""

from tutor.cli import main

if __name__ == "__main__":
    main(prog_name="tutor")
