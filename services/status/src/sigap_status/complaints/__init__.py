"""The complaint record and its timeline as every feature reads them, and the one rule of who
may see which complaint (`visibility`)."""
