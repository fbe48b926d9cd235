"""Exchange with other people and other tools: style packs (``.stylepack``), LUT files
(``.cube``, HaldCLUT PNG) and the limits every file from elsewhere is read with.

Pure file formats, no database and no jobs: ``desktop.pipelines.export`` and
``desktop.pipelines.import_`` run them as jobs.
"""
