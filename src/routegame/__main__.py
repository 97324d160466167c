"""``python -m routegame``: the same command line as the ``routegame`` script."""

from routegame.cli import main

if __name__ == "__main__":
    main()
