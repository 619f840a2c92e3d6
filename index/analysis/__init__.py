"""The analysis room: what a text says — chunks (chunk), words (segment, over jieba), figures with their units,
qualifiers and measures (figures, numerals, enumerations), places (places, gazetteer), periods, subjects, and the
shared word lists (lexicon, text)."""
