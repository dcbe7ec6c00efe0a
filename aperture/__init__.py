"""Aperture: the command line, settings, logging and the embedded runtime."""
