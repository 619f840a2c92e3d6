"""The bundled sample bulletins, ingested into an empty database on first use."""
