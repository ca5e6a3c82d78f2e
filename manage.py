#!/usr/bin/env python
"""Django's command-line utility for TT Portal (the same as the ``ttportal`` console script)."""

from ttportal.cli import main

if __name__ == "__main__":
    main()
