"""Bundled data: the sample bulletin and the jieba user dictionary."""
