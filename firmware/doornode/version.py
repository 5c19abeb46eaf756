"""Firmware version, reported at boot and by the maintenance service."""
VERSION = "0.1.0"
