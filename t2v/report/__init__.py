"""The report: one self-contained HTML page from the pipeline's outputs."""
