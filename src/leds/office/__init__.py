"""The data office's portal: maturity assessments, commissioning, benefits, delivery tracking."""
