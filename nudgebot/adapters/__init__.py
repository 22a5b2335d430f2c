"""Platform adapters: thin converters between chat platforms and the nudgebot core."""
