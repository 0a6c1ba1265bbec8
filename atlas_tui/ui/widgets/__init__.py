"""Reusable widgets for atlas-tui."""

from atlas_tui.ui.widgets.table import FastTable, TableTimings
from atlas_tui.ui.widgets.table_model import CellValue, Column, Row, TableModel

__all__ = ["CellValue", "Column", "FastTable", "Row", "TableModel", "TableTimings"]
