"""``python -m orgbridge`` runs the command line."""

import sys

from orgbridge.cli import main

sys.exit(main())
