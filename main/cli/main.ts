// CLI entry: written next.
