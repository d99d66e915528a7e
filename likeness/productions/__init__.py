"""Productions: the governing agreement, jurisdictions, release plan and labour-action status."""
