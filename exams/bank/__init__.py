"""Question bank files: parsing and validation (schema), loading (loader), export."""
