"""Import and export of CRM records as CSV and XLSX: reading a file into a table
(`reading`), guessing which column holds which field (`fields`), turning a row into the
arguments of a use case (`rows`), and writing rows out (`writing`).

Nothing here touches the database: the import job (hub/actions/imports.py) and the export
endpoints (hub/api/exports.py) do, through the same use cases and list queries as the API.
"""
