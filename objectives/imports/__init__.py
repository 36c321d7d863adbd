"""Bulk entry from CSV or XLSX files: KPI values (values.py) and KPI definitions (kpis.py), both
through the same upload, preview and confirm flow (flow.py) on files read within bounds
(files.py)."""
