"""Campaign workbook: validate, aggregate and write the summary document (工作总结)."""

__version__ = "0.1.0"
