import sys

from smart_shelf.runner.cli import main

sys.exit(main())
