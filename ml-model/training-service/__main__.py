"""Entry point: python -m ml_model.training_service (one run, then exits)."""

import sys

from ml_model.training_service.service import train
from smart_shelf.forecast.lake import NoHistory
from smart_shelf.service import start_service
from smart_shelf.settings import TrainingSettings


def main() -> int:
    settings = start_service("training-service", TrainingSettings)
    try:
        train(settings, progress=lambda line: print(line, flush=True))
    except NoHistory as exc:
        print(f"training-service: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
