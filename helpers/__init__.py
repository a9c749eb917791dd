"""Tested reference code for the temperature lessons."""
