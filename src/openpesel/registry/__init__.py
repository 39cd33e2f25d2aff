"""The register: events, the law's rules, the bitemporal fold, search and use cases."""
