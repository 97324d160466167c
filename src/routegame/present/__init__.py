"""Presentation: wording shared by the guideline, the report, the CLI and the figures."""
