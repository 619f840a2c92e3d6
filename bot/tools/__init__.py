"""The developer tools room: benchmarks, synthetic corpora, evaluation, training the figure chooser, answer dumps;
the running bot and site never import them (only `bulletin bench` and `bulletin eval` load them)."""
