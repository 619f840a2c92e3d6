"""The search room: the corpus as flat arrays (corpus), BM25 over posting lists (searcher), the saved, memory-mapped
index (snapshot, built alongside an ingest by alongside), and the Library the asking side reads (library)."""
