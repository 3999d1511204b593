"""Archives in and out: WordPress (WXR) and Disqus imports, JSON Lines and WXR exports.

Every importer parses its file into ``ArchivePost``s (``model.py``) and hands them to one
writer (``importer.py``), which goes through the comment store's contract, so an import works
on any store. The exporter (``export.py``) writes what the importer reads back.
"""
