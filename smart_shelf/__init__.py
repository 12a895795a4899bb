"""Smart Shelf shared library: settings, contracts, clients and the native runner."""
