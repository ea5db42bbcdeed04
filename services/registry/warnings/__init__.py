"""Early warning (风险预警): signals over sliding windows, warnings and their lifecycle, consumer notices."""
