// preload: written next.
