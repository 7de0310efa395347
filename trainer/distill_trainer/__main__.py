import sys

from distill_trainer.cli import main

sys.exit(main())
