"""The handlers' work console: the queue, the case page, the statistics (issue 21)."""
