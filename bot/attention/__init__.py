"""Pairs that need attention: pure rules over per-pair signals, and the service that reads them."""
